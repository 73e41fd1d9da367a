/**
 * Start-up marks for measuring what each step of a command costs: with TSVIRT_STARTUP_TRACE=1,
 * each mark prints the milliseconds since the process started to stderr. Costs nothing otherwise.
 */
const enabled = process.env['TSVIRT_STARTUP_TRACE'] === '1';

export function mark(label: string): void {
  if (enabled) process.stderr.write(`[startup] ${performance.now().toFixed(1)} ms ${label}\n`);
}
