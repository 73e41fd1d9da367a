/**
 * Where `create` gets its VMs: YAML/JSON documents (-f file, or - for stdin), or a VM built from
 * flags (--name, --cpu, --memory, --kernel, --initrd, --kernel-args, --disk, --run-strategy).
 * Pure: the command reads the file; this checks and shapes. Bad input is a UsageError (exit 2)
 * before anything is sent; the API server's CEL rules still have the last word.
 */
import { parseAllDocuments } from 'yaml';
import { DEFAULT_DISK_BUS } from '../api/defaults.js';
import { API_VERSION, VM_KIND } from '../api/names.js';
import { isDnsLabel } from '../api/object-names.js';
import { isQuantity } from '../api/quantity.js';
import { RUN_STRATEGIES, type RunStrategy, type VirtualMachine, type Volume, type Disk } from '../api/types.js';
import { UsageError } from './errors.js';

export interface VmFlags {
  readonly name: string;
  readonly cpu: number;
  readonly memory: string;
  readonly kernel?: string;
  readonly initrd?: string;
  readonly kernelArgs?: string;
  readonly disks: readonly string[];
  readonly runStrategy: string;
}

/** api/quantity.ts's rule, as a plain test (its type guard would narrow a string flag to never). */
const isSize = (s: string): boolean => isQuantity(s);

export function isRunStrategy(s: string): s is RunStrategy {
  return (RUN_STRATEGIES as readonly string[]).includes(s);
}

/** `--disk PATH` (an existing host disk), `--disk NAME=PATH`, or `--disk size=1Gi` (an empty scratch disk). */
export function parseDisk(spec: string, index: number): { disk: Disk; volume: Volume } {
  const eq = spec.indexOf('=');
  const key = eq < 0 ? undefined : spec.slice(0, eq);
  const value = eq < 0 ? spec : spec.slice(eq + 1);
  if (key === 'size') {
    if (!isSize(value))
      throw new UsageError(
        `--disk ${spec}: "${value}" is not a quantity`,
        'Use a Kubernetes quantity such as 1Gi or 512Mi.',
      );
    const name = `scratch${index}`;
    return { disk: { name, disk: { bus: DEFAULT_DISK_BUS } }, volume: { name, emptyDisk: { capacity: value } } };
  }
  const name = key ?? `disk${index}`;
  if (!isDnsLabel(name)) throw new UsageError(`--disk ${spec}: "${name}" is not a valid disk name`);
  if (value === '') throw new UsageError(`--disk ${spec}: no path`);
  return { disk: { name, disk: { bus: DEFAULT_DISK_BUS } }, volume: { name, hostDisk: { path: value, type: 'Disk' } } };
}

function checkFlags(f: VmFlags): RunStrategy {
  if (!isDnsLabel(f.name))
    throw new UsageError(
      `--name "${f.name}" is not a valid name`,
      'Use lowercase letters, digits and "-", e.g. web-1.',
    );
  if (!Number.isInteger(f.cpu) || f.cpu < 1) throw new UsageError(`--cpu ${f.cpu}: need a whole number of at least 1`);
  if (!isSize(f.memory))
    throw new UsageError(`--memory "${f.memory}" is not a quantity`, 'Use a Kubernetes quantity such as 2Gi or 512Mi.');
  if (!isRunStrategy(f.runStrategy))
    throw new UsageError(`--run-strategy "${f.runStrategy}" is not one of ${RUN_STRATEGIES.join(', ')}`);
  if (f.initrd !== undefined && f.kernel === undefined) throw new UsageError('--initrd needs --kernel');
  return f.runStrategy;
}

export function vmFromFlags(f: VmFlags, namespace: string): VirtualMachine {
  const runStrategy = checkFlags(f);
  const disks = f.disks.map((d, i) => parseDisk(d, i));
  const kernelBoot = {
    ...(f.kernel === undefined ? {} : { kernelPath: f.kernel }),
    ...(f.initrd === undefined ? {} : { initrdPath: f.initrd }),
    ...(f.kernelArgs === undefined ? {} : { kernelArgs: f.kernelArgs }),
  };
  return {
    apiVersion: API_VERSION,
    kind: VM_KIND,
    metadata: { name: f.name, namespace },
    spec: {
      runStrategy,
      template: {
        spec: {
          domain: {
            cpu: { cores: f.cpu },
            memory: { guest: f.memory },
            ...(f.kernel === undefined ? {} : { firmware: { kernelBoot } }),
            devices: { disks: disks.map((d) => d.disk) },
          },
          ...(disks.length === 0 ? {} : { volumes: disks.map((d) => d.volume) }),
        },
      },
    },
  };
}

type Rec = Readonly<Record<string, unknown>>;
const isRec = (u: unknown): u is Rec => typeof u === 'object' && u !== null && !Array.isArray(u);

/** One document of a -f file as something we can send: a VirtualMachine in the right namespace. */
function checkDocument(doc: unknown, where: string, namespace: string, explicitNamespace: boolean): Rec {
  if (!isRec(doc)) throw new UsageError(`${where}: not an object`);
  if (doc['apiVersion'] !== API_VERSION || doc['kind'] !== VM_KIND) {
    throw new UsageError(
      `${where}: kind ${String(doc['kind'])} (${String(doc['apiVersion'])}) is not a ${API_VERSION} ${VM_KIND}`,
      'kubectl virt create makes VirtualMachines; use kubectl apply for other objects.',
    );
  }
  const meta = isRec(doc['metadata']) ? doc['metadata'] : {};
  const own = typeof meta['namespace'] === 'string' ? meta['namespace'] : undefined;
  // kubectl's rule: a namespace in the file must match an explicit -n, not silently win over it.
  if (own !== undefined && explicitNamespace && own !== namespace) {
    throw new UsageError(
      `the namespace from the provided object "${own}" does not match the namespace "${namespace}"`,
      `pass --namespace=${own}, or remove metadata.namespace`,
    );
  }
  return { ...doc, metadata: { ...meta, namespace: own ?? namespace } };
}

/** The VMs in a YAML or JSON text (several documents allowed); empty documents are skipped. */
export function vmsFromText(text: string, source: string, namespace: string, explicitNamespace: boolean): Rec[] {
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  const out: Rec[] = [];
  list.forEach((d, i) => {
    const where = `${source} (document ${i + 1})`;
    if (d.errors.length > 0) throw new UsageError(`${where}: ${d.errors[0]?.message ?? 'invalid YAML'}`);
    const value: unknown = d.toJS();
    if (value === null || value === undefined) return;
    const items =
      isRec(value) && value['kind'] === 'List' && Array.isArray(value['items'])
        ? (value['items'] as unknown[])
        : [value];
    for (const item of items) out.push(checkDocument(item, where, namespace, explicitNamespace));
  });
  if (out.length === 0) throw new UsageError(`${source}: no objects`);
  return out;
}
