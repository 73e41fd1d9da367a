/**
 * Names as kubectl accepts them: `web`, `vm/web`, `virtualmachine.tsvirt.io/web` (what `-o name`
 * prints, so `create -o name | xargs kubectl virt start` works), and resource words for `get`
 * (`vm`, `vms`, `virtualmachines`, `vmi`, `virtualmachineinstance.tsvirt.io`, ...).
 */
import {
  GROUP,
  VM_PLURAL,
  VM_SHORT_NAMES,
  VM_SINGULAR,
  VMI_PLURAL,
  VMI_SHORT_NAMES,
  VMI_SINGULAR,
} from '../api/names.js';
import { isDnsLabel } from '../api/object-names.js';
import { UsageError } from './errors.js';

export type Resource = typeof VM_PLURAL | typeof VMI_PLURAL;

function wordsFor(singular: string, plural: string, short: readonly string[]): string[] {
  const bare = [singular, plural, ...short];
  return [...bare, ...bare.map((w) => `${w}.${GROUP}`)];
}

const VM_WORDS = new Set(wordsFor(VM_SINGULAR, VM_PLURAL, VM_SHORT_NAMES));
const VMI_WORDS = new Set(wordsFor(VMI_SINGULAR, VMI_PLURAL, VMI_SHORT_NAMES));

/** The resource a word names, or undefined when it names none of ours. */
export function resourceOf(word: string): Resource | undefined {
  const w = word.toLowerCase();
  if (VM_WORDS.has(w)) return VM_PLURAL;
  if (VMI_WORDS.has(w)) return VMI_PLURAL;
  return undefined;
}

export interface Target {
  readonly resource: Resource;
  readonly name: string;
}

/** `web` or `type/web`; `fallback` is the resource of a bare name. */
export function parseTarget(arg: string, fallback: Resource): Target {
  const slash = arg.indexOf('/');
  if (slash < 0) return { resource: fallback, name: checkedName(arg) };
  const word = arg.slice(0, slash);
  const resource = resourceOf(word);
  if (resource === undefined)
    throw new UsageError(
      `"${word}" in "${arg}" is not a VirtualMachine or VirtualMachineInstance`,
      'Name a VM as web, vm/web or virtualmachine.tsvirt.io/web.',
    );
  const name = arg.slice(slash + 1);
  if (name === '') throw new UsageError(`"${arg}" has no name after the slash`);
  return { resource, name: checkedName(name, arg) };
}

/**
 * A name as the API server would accept it, or a usage error: a mistyped flag value or a stray
 * word (`--`, `-x`, `Web`) never reaches the API server as a name.
 */
export function checkedName(name: string, arg = name): string {
  if (isDnsLabel(name)) return name;
  throw new UsageError(
    `"${arg}" is not a VM name: names are DNS labels (at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit)`,
    name.startsWith('-')
      ? 'Flags go before or after the names, spelled as --help lists them.'
      : 'Check the spelling: kubectl virt list shows the names.',
  );
}

/** VM names for the verbs that act on VMs only (start, stop, restart, delete, describe). */
export function vmNames(args: readonly string[]): string[] {
  return args.map((a) => {
    const t = parseTarget(a, VM_PLURAL);
    if (t.resource !== VM_PLURAL)
      throw new UsageError(
        `"${a}" is a VirtualMachineInstance; this command acts on VirtualMachines`,
        `Use the VM's name: ${t.name}.`,
      );
    return t.name;
  });
}

/**
 * `get`'s arguments, kubectl style: `get vms`, `get vm web db`, `get vm/web vmi/web`, and `get web`
 * (a bare name is a VM, kubectl virt's default resource).
 */
export function parseGetArgs(args: readonly string[]): { resource: Resource; names: string[] } {
  const [first, ...rest] = args;
  if (first === undefined) return { resource: VM_PLURAL, names: [] };
  const word = resourceOf(first);
  if (word !== undefined) return { resource: word, names: rest.map((n) => parseTarget(n, word).name) };
  const targets = args.map((a) => parseTarget(a, VM_PLURAL));
  const resources = new Set(targets.map((t) => t.resource));
  if (resources.size > 1)
    throw new UsageError('mixing VMs and VMIs in one get is not supported', 'Run get once for vm and once for vmi.');
  return { resource: targets[0]?.resource ?? VM_PLURAL, names: targets.map((t) => t.name) };
}
