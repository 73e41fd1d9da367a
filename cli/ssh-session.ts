/**
 * Runs the local OpenSSH client (ssh or scp) with the ProxyCommand from ssh-command.ts and hands
 * back its exit code, which for ssh is the remote command's.
 */
import type { ConnectionFlagValues } from './connection.js';
import { UsageError } from './errors.js';
import { proxyCommand, sshOptionArgs } from './ssh-command.js';

export type SshFlagValues = ConnectionFlagValues &
  Readonly<{
    identity?: string | undefined;
    'local-ssh-opts'?: string[] | undefined;
    'known-hosts'?: string | undefined;
  }>;

export function sshPort(text: string): number {
  const n = Number(text);
  if (!/^[0-9]{1,5}$/.test(text) || n < 1 || n > 65535)
    throw new UsageError(`--port "${text}" is not a port number`, 'e.g. -p 22');
  return n;
}

/** The host name ssh sees: any word works behind a ProxyCommand; this one says which VMI it is. */
export const sshHost = (name: string, namespace: string): string => `vmi.${name}.${namespace}`;

/**
 * Runs `program` with the shared options; `argv(destination, options)` places them. Resolves with
 * the exit code (255 when the program could not run, as ssh uses for its own failures).
 */
export async function runSsh(
  program: 'ssh' | 'scp',
  vmi: Readonly<{ name: string; namespace: string; port: number }>,
  flags: SshFlagValues,
  argv: (destination: string, options: readonly string[]) => readonly string[],
): Promise<number> {
  const { spawn } = await import('node:child_process');
  const self = [process.execPath, process.argv[1] ?? 'kubectl-virt'];
  const proxy = proxyCommand(self, vmi, flags);
  const host = sshHost(vmi.name, vmi.namespace);
  const options = sshOptionArgs({
    identity: flags.identity,
    knownHosts: flags['known-hosts'],
    options: flags['local-ssh-opts'] ?? [],
    proxy,
    hostAlias: host,
  });
  const portOption = program === 'ssh' ? ['-p', String(vmi.port)] : ['-P', String(vmi.port)];
  const child = spawn(program, argv(host, [...options, ...portOption]), { stdio: 'inherit' });
  return new Promise((resolve) => {
    child.once('error', (err) => {
      process.stderr.write(`error: could not run ${program}: ${err.message}\n`);
      resolve(255);
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal === null ? 255 : 128 + 1)));
  });
}
