// The Debian 12 cloud guest (hack/guest-images.sh, pushed to the cluster's registry by
// global-setup) as a containerDisk under a real libvirtd and QEMU (TCG here), configured by
// cloud-init NoCloud with user-data this test generates. Three VMs from examples/vm-debian.yaml
// boot one after the other: each prints its random token and its hostname (= the VM's name) on
// the serial console and lists the marks on its disk, where it has just written its own; none
// sees another's, and the node's cached base is byte for byte what was pushed.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { VirtualMachine } from '../../api/types.js';
import {
  clusterFromEnv,
  createTestNamespace,
  deleteTestNamespace,
  stopAllComponents,
  waitFor,
} from '../harness/index.js';
import { startVirtApi, type VirtApi } from '../harness/virt-api.js';
import { node, qemuCpuMs, qemuProcesses, startController, startHandler, virt } from './guest-stack.js';

// A systemd + cloud-init guest under TCG on 2 shared cores: about 70-90 s to the token (FACTS.md
// has the tiny guest at 2-9 s); the deadline leaves room for a loaded machine.
const BOOT_TIMEOUT_MS = 300_000;
const VMS = ['deb-a', 'deb-b', 'deb-c'] as const;
const LINE = /TSVIRT-E2E (\S+) host=(\S+) marks=(\S*)/;

function sha256(path: string): Promise<string> {
  return new Promise((done, fail) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => hash.update(d))
      .on('end', () => done(hash.digest('hex')))
      .on('error', fail);
  });
}

function userData(name: string, token: string): string {
  return [
    '#cloud-config',
    'runcmd:',
    `  - 'mkdir -p /var/lib/tsvirt-e2e && echo ${token} > /var/lib/tsvirt-e2e/${name} && sync'`,
    `  - 'echo "TSVIRT-E2E ${token} host=$(hostname) marks=$(ls /var/lib/tsvirt-e2e | paste -sd,)" > /dev/ttyS0'`,
    '',
  ].join('\n');
}

/** examples/vm-debian.yaml with the cluster's registry, the VM's name and this test's user-data. */
async function debianVm(name: string, token: string): Promise<VirtualMachine> {
  const c = clusterFromEnv();
  const text = await readFile(join(c.repoRoot, 'examples', 'vm-debian.yaml'), 'utf8');
  const vm = parse(text.replaceAll('REGISTRY/', `${c.info.registry ?? 'no-registry'}/`)) as VirtualMachine;
  const spec = vm.spec.template.spec;
  const volumes = (spec.volumes ?? []).map((v) =>
    v.cloudInitNoCloud === undefined ? v : { name: v.name, cloudInitNoCloud: { userData: userData(name, token) } },
  );
  return {
    ...vm,
    metadata: { name },
    spec: { ...vm.spec, template: { ...vm.spec.template, spec: { ...spec, volumes } } },
  };
}

describe('the Debian containerDisk with cloud-init through kubectl virt', () => {
  let ns: string;
  let api: VirtApi | undefined;

  beforeAll(async () => {
    ns = await createTestNamespace('debian');
    await startController();
    await startHandler();
    // kubectl virt start and stop go through virt-api's subresources.
    api = await startVirtApi();
  }, 90_000);

  afterAll(async () => {
    for (const name of VMS) await virt(['delete', name, '-n', ns]).catch(() => undefined);
    await waitFor(
      async () => {
        for (const name of VMS) if ((await qemuProcesses(`${ns}_${name}`)).length > 0) return false;
        return true;
      },
      { timeoutMs: 90_000, describe: 'every Debian guest to be gone after delete' },
    ).catch(() => undefined);
    await api?.unregister();
    await stopAllComponents();
    await deleteTestNamespace(ns);
  }, 150_000);

  it(
    'boots, runs generated user-data (token and hostname on the console), keeps each VM writes to itself and the base unchanged',
    async () => {
      const timings: number[] = [];
      const cpu: number[] = [];
      for (const name of VMS) {
        const token = randomBytes(12).toString('hex');
        await virt(['create', '-f', '-', '-n', ns], JSON.stringify(await debianVm(name, token)));
        const t0 = Date.now();
        await virt(['start', name, '-n', ns, '--wait', '--timeout', '300s']);
        const log = join(node().handlerRunDir, `${ns}_${name}`, 'serial.log');
        const line = await waitFor(
          async (seen) => {
            const text = await readFile(log, 'utf8').catch(() => '');
            seen(text.slice(-600));
            return LINE.exec(text);
          },
          { timeoutMs: BOOT_TIMEOUT_MS, intervalMs: 250, describe: `cloud-init's token on ${log}` },
        );
        timings.push(Date.now() - t0);
        const [pid] = await qemuProcesses(`${ns}_${name}`);
        cpu.push(pid === undefined ? NaN : await qemuCpuMs(pid));
        expect(line[1]).toBe(token);
        expect(line[2]).toBe(name);
        // Its own mark only: the VMs before it wrote theirs to their own overlays.
        expect(line[3]).toBe(name);
        await virt(['stop', name, '-n', ns, '--wait', '--timeout', '120s']);
      }
      process.stderr.write(
        `debian e2e: start -> cloud-init token ms ${JSON.stringify(timings)}, QEMU CPU ms then ${JSON.stringify(cpu)}\n`,
      );
      const cache = node().imageCacheDir;
      const entries = (await readdir(cache)).filter((n) => n.startsWith('sha256-'));
      expect(entries).toHaveLength(1);
      const pushed = join(homedir(), '.cache', 'tsvirt', 'guest-images', 'current', 'disk.qcow2');
      expect(await sha256(join(cache, entries[0] ?? '', 'disk'))).toBe(await sha256(pushed));
    },
    VMS.length * (BOOT_TIMEOUT_MS + 150_000),
  );
});
