/**
 * The base of every command that talks to the cluster: it resolves the kubeconfig as kubectl
 * does, opens one client (loaded with `await import()`, so help and parse errors never pay for
 * it), maps every failure to a message and an exit code (errors.ts, exit-codes.ts), and closes
 * the client so the process exits as soon as the work is done.
 */
import { Command, Errors } from '@oclif/core';
import type { ApiClient } from '../kube/api-client.js';
import { connect, type Connection, type ConnectionFlagValues } from './connection.js';
import { reportError, UsageError } from './errors.js';
import { mark } from './startup-trace.js';

export type { Connection, ConnectionFlagValues } from './connection.js';

export abstract class KubeCommand extends Command {
  private readonly clients: ApiClient[] = [];

  /**
   * `--` would make whatever follows a name or an argument, flags included (`delete -- --all`): no
   * command here passes words through, so it is a usage error before anything is parsed or sent.
   */
  /** Commands that read raw words (shell completion) take `--` as one of them. */
  static rawWords = false;

  override async init(): Promise<void> {
    if (!(this.constructor as typeof KubeCommand).rawWords && this.argv.includes('--'))
      throw new UsageError(
        `kubectl virt ${this.id ?? ''} takes no "--": every word after it would be taken as a name`,
        'Drop the --; VM names never start with -.',
      );
    await super.init();
  }

  protected async connect(flags: ConnectionFlagValues): Promise<Connection> {
    mark('command parsed its flags');
    const conn = await connect(flags);
    this.clients.push(conn.client);
    return conn;
  }

  /** Writes data to stdout: the only thing a command writes there. */
  protected out(text: string): void {
    mark('output ready');
    process.stdout.write(text);
  }

  /** Writes a warning or progress line to stderr. */
  protected note(text: string): void {
    process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  override async catch(err: Errors.CLIError | Error): Promise<void> {
    if (err instanceof Errors.ExitError) throw err;
    // oclif's own parse errors (unknown flag, missing argument, bad option) are usage errors.
    const mapped =
      err instanceof Errors.CLIError && !(err instanceof UsageError)
        ? new UsageError(usageMessage(err.message), `see kubectl virt ${this.id ?? ''} --help`.replace('  ', ' '))
        : err;
    const report = reportError(mapped, this.argv.includes('--verbose'));
    process.stderr.write(report.lines.join('\n') + '\n');
    process.exitCode = report.exitCode;
    return Promise.resolve();
  }

  override async finally(err: Error | undefined): Promise<void> {
    for (const c of this.clients) c.close();
    await super.finally(err);
  }
}

/**
 * oclif's flag errors span lines ("Parsing --cpu \n\tExpected an integer but received: x\nSee more
 * help with --help"); the reason is on the second. One line keeps both, and our hint replaces the last.
 */
export function usageMessage(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('See more help'));
  return lines.join(': ').replace(/^Parsing (--[\w-]+):/, '$1:');
}
