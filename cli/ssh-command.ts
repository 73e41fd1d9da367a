/**
 * What `kubectl virt ssh` and `scp` hand to the local OpenSSH: a ProxyCommand that runs this very
 * CLI as `port-forward --stdio`, with the same kubeconfig, context, namespace and identity, as
 * virtctl does since v1.7. Pure: the CLI's own command line comes in.
 */
import type { ConnectionFlagValues } from './connection.js';

/** POSIX shell quoting: OpenSSH runs a ProxyCommand through `sh -c`. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The connection flags again, for the ProxyCommand's own kubectl virt. */
function connectionArgs(flags: ConnectionFlagValues, namespace: string): string[] {
  return [
    ...(flags.kubeconfig === undefined ? [] : [`--kubeconfig=${flags.kubeconfig}`]),
    ...(flags.context === undefined ? [] : [`--context=${flags.context}`]),
    `--namespace=${namespace}`,
    ...(flags.as === undefined ? [] : [`--as=${flags.as}`]),
    ...(flags['as-group'] ?? []).map((g) => `--as-group=${g}`),
  ];
}

/**
 * The ProxyCommand: `self` is how to run this CLI again (node and script, absolute), so it works
 * whether kubectl found the plugin on PATH or not.
 */
export function proxyCommand(
  self: readonly string[],
  target: Readonly<{ name: string; namespace: string; port: number }>,
  flags: ConnectionFlagValues,
): string {
  const words = [
    ...self,
    'port-forward',
    '--stdio',
    `vmi/${target.name}`,
    String(target.port),
    ...connectionArgs(flags, target.namespace),
  ];
  return words.map(shellQuote).join(' ');
}

/** `user@vm/name` split; undefined user when none is written. Pure. */
export function splitUser(arg: string): Readonly<{ user?: string; target: string }> {
  const at = arg.lastIndexOf('@');
  return at < 0 ? { target: arg } : { user: arg.slice(0, at), target: arg.slice(at + 1) };
}

export type SshOptions = Readonly<{
  identity?: string | undefined;
  knownHosts?: string | undefined;
  options: readonly string[];
  proxy: string;
  /** The host alias ssh checks keys for: one per VM, so a recreated guest's new key is noticed. */
  hostAlias: string;
}>;

/** The `-o`/`-i` words both ssh and scp take. Pure. */
export function sshOptionArgs(o: SshOptions): string[] {
  return [
    '-o',
    `ProxyCommand=${o.proxy}`,
    '-o',
    `HostKeyAlias=${o.hostAlias}`,
    ...(o.knownHosts === undefined ? [] : ['-o', `UserKnownHostsFile=${o.knownHosts}`]),
    ...(o.identity === undefined ? [] : ['-i', o.identity]),
    ...o.options.flatMap((opt) => ['-o', opt]),
  ];
}
