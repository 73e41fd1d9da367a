/**
 * The node tools the disk code runs (skopeo, umoci, qemu-img, xorrisofs), one way: argv only (no
 * shell), a deadline, stderr kept for the error. Nothing here builds registry requests or tar
 * streams by hand.
 */
import { execFile } from 'node:child_process';

export class ToolError extends Error {
  constructor(
    readonly tool: string,
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'ToolError';
  }
}

/**
 * The message a containers/image tool prints: `level=fatal msg="..."` unquoted, else the last
 * non-empty line of stderr. Pure.
 */
export function toolMessage(stderr: string): string {
  const fatal = /level=fatal msg="((?:[^"\\]|\\.)*)"/.exec(stderr);
  if (fatal?.[1] !== undefined) return fatal[1].replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines.at(-1) ?? 'failed without a message';
}

/** Runs `tool args`; resolves its stdout, or rejects with a ToolError carrying its own message. */
export function runTool(tool: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((done, fail) => {
    execFile(
      tool,
      [...args],
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        if (err === null) {
          done(stdout);
          return;
        }
        const timedOut = 'killed' in err && err.killed === true;
        const message = timedOut
          ? `${tool} did not finish within ${Math.round(timeoutMs / 1000)} s`
          : toolMessage(stderr);
        fail(new ToolError(tool, message, stderr));
      },
    );
  });
}
