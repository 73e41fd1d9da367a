/**
 * `create`'s work: read the files (or build a VM from flags), send each VM, print what kubectl
 * prints (`virtualmachine.tsvirt.io/web created`, or -o json|yaml|name), and with --wait follow
 * each VM until its run strategy's state is reached.
 */
import { readFile } from 'node:fs/promises';
import { isVirtualMachine } from '../api/types.js';
import type { ApiClient } from '../kube/api-client.js';
import { createVm } from '../kube/cli-resources.js';
import { renderObjects, resourceName } from './printers/objects.js';
import { vmFromFlags, vmsFromText, type VmFlags } from './vm-source.js';
import { goalAfterCreate } from './vm-waits.js';
import { waitForGoal } from './lifecycle.js';

type Rec = Readonly<Record<string, unknown>>;

export interface VmInput {
  readonly files: readonly string[];
  readonly namespace: string;
  readonly explicitNamespace: boolean;
  readonly flags: VmFlags;
}

async function readSource(file: string): Promise<string> {
  if (file !== '-') return readFile(file, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** create's flags as VmFlags (absent flags left out, as exactOptionalPropertyTypes wants). */
export function vmFlagsFrom(
  f: Readonly<{
    name?: string | undefined;
    cpu: number;
    memory: string;
    disk?: string[] | undefined;
    'run-strategy': string;
    kernel?: string | undefined;
    initrd?: string | undefined;
    'kernel-args'?: string | undefined;
  }>,
): VmFlags {
  const optional = Object.entries({ kernel: f.kernel, initrd: f.initrd, kernelArgs: f['kernel-args'] }).filter(
    ([, v]) => v !== undefined,
  );
  return {
    name: f.name ?? '',
    cpu: f.cpu,
    memory: f.memory,
    disks: f.disk ?? [],
    runStrategy: f['run-strategy'],
    ...(Object.fromEntries(optional) as Partial<Pick<VmFlags, 'kernel' | 'initrd' | 'kernelArgs'>>),
  };
}

export async function loadVms(input: VmInput): Promise<Rec[]> {
  if (input.files.length === 0) return [vmFromFlags(input.flags, input.namespace) as unknown as Rec];
  const texts = await Promise.all(input.files.map(async (f) => ({ f, text: await readSource(f) })));
  return texts.flatMap(({ f, text }) =>
    vmsFromText(text, f === '-' ? 'stdin' : f, input.namespace, input.explicitNamespace),
  );
}

const namespaceOf = (o: Rec): string => {
  const meta = o['metadata'] as Rec | undefined;
  return typeof meta?.['namespace'] === 'string' ? meta['namespace'] : 'default';
};

/** Creates the VMs in order; the first refusal stops the rest, as kubectl create does per file. */
export async function createAll(client: ApiClient, vms: readonly Rec[], dryRun: 'none' | 'server'): Promise<Rec[]> {
  const out: Rec[] = [];
  for (const vm of vms) out.push((await createVm(client, namespaceOf(vm), vm, dryRun)) as Rec);
  return out;
}

const SUFFIX: Readonly<Record<'none' | 'client' | 'server', string>> = {
  none: '',
  client: ' (dry run)',
  server: ' (server dry run)',
};

export async function renderCreated(
  objects: readonly Rec[],
  output: 'json' | 'yaml' | 'name' | undefined,
  dryRun: 'none' | 'client' | 'server',
): Promise<string> {
  if (output !== undefined) return renderObjects(objects, output, objects.length === 1);
  return objects.map((o) => `${resourceName(o)} created${SUFFIX[dryRun]}\n`).join('');
}

/** Waits for each created VM; returns one line per VM that did not get there. */
export async function waitForCreated(
  client: ApiClient,
  created: readonly Rec[],
  opts: Readonly<{ timeoutMs: number; progress?: (l: string) => void }>,
): Promise<string[]> {
  const failures: string[] = [];
  for (const o of created) {
    if (!isVirtualMachine(o)) continue;
    const failed = await waitForGoal(
      client,
      { namespace: namespaceOf(o), name: o.metadata.name ?? '' },
      goalAfterCreate(o),
      opts,
    );
    if (failed !== undefined) failures.push(failed);
  }
  return failures;
}
