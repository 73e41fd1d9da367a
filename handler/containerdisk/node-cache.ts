/**
 * virt-handler's wiring of the containerDisk cache: its flags and the collection timer (at start, then every 10 minutes; the rule is in cache.ts).
 */
import type { KubeLogger } from '../../kube/logger.js';
import { ContainerDiskCache } from './cache.js';
import { nodePlatform } from './manifest.js';
import { digestsInUse } from '../node-disks.js';

const COLLECT_EVERY_MS = 10 * 60 * 1000;

export interface ImageCacheFlags {
  readonly dir: string;
  readonly insecureRegistries: ReadonlyArray<string>;
  readonly maxUnusedMs: number;
}

export interface NodeImageCache {
  readonly cache: ContainerDiskCache;
  startCollecting(): void;
  stopCollecting(): void;
}

export function imageCacheFor(flags: ImageCacheFlags, runDir: string, log: KubeLogger): NodeImageCache {
  const cache = new ContainerDiskCache({
    dir: flags.dir,
    insecureRegistries: new Set(flags.insecureRegistries.map((r) => r.toLowerCase())),
    platform: nodePlatform(),
  });
  let timer: NodeJS.Timeout | undefined;
  const collect = async (): Promise<void> => {
    try {
      const removed = await cache.collect(await digestsInUse(runDir), Date.now(), flags.maxUnusedMs);
      if (removed.length > 0) log.info({ removed, dir: flags.dir }, 'Removed unused containerDisk cache entries');
    } catch (err) {
      log.warn({ err, dir: flags.dir }, 'Could not collect the containerDisk cache');
    }
  };
  return {
    cache,
    startCollecting: () => {
      void collect(); // logs its own failure
      timer = setInterval(() => void collect(), COLLECT_EVERY_MS);
      timer.unref();
    },
    stopCollecting: () => clearInterval(timer),
  };
}
