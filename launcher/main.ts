/**
 * virt-launcher: the launcher Pod's process. Reads its VMI from the environment, connects to the
 * node's virt-handler over a unix socket, lives exactly as long as the domain and exits with the
 * VM's outcome (0: the guest shut down; 1: it crashed or never started; 2: misconfigured).
 * Logs are JSON lines on stdout, written by hand: pino would cost RSS in a process per VM.
 */
import { createConnection } from 'node:net';
import { parseArgs } from 'node:util';
import { LAUNCHER_EXIT_CODES } from '../api/launcher-protocol.js';
import { Launcher, configFromEnv, type LauncherIo } from './launcher.js';

const LEVELS = { info: 30, warn: 40, error: 50 } as const;

const io: LauncherIo = {
  log(level, msg, fields = {}) {
    process.stdout.write(
      `${JSON.stringify({ level: LEVELS[level], time: Date.now(), name: 'virt-launcher', ...fields, msg })}\n`,
    );
  },
  exit(code, stderrMessage) {
    if (stderrMessage !== undefined) process.stderr.write(`${stderrMessage}\n`);
    process.exitCode = code;
    // Let stdout/stderr drain, then leave even if a socket lingers.
    setImmediate(() => process.exit(code));
  },
  connect: (path) => createConnection(path),
};

function main(): void {
  const { values } = parseArgs({ options: { 'handler-socket': { type: 'string' } }, strict: true });
  const config = configFromEnv(process.env, values['handler-socket']);
  if (typeof config === 'string') {
    process.stderr.write(`${config}\n`);
    process.exit(LAUNCHER_EXIT_CODES.usage);
  }
  const launcher = new Launcher(config, io);
  process.on('SIGTERM', () => launcher.requestStop('SIGTERM'));
  process.on('SIGINT', () => launcher.requestStop('SIGINT'));
  launcher.start();
}

main();
