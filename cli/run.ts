/**
 * Runs oclif with tsvirt's commands and maps whatever escapes a command (unknown command, a
 * failure before a command's own catch) to a message and an exit code.
 */
import { dirname } from 'node:path';
import { Config, Errors, run } from '@oclif/core';
import { EXIT_CODES, EXIT_CODES_HELP } from './exit-codes.js';
import { CLIENT_VERSION } from './version-info.js';
import { mark } from './startup-trace.js';

/** The package.json oclif would read: inline, so a bundle needs none beside it. */
function pjson(commandsModule: string): Record<string, unknown> {
  return {
    name: 'kubectl-virt',
    version: CLIENT_VERSION === 'dev' ? '0.0.0' : CLIENT_VERSION,
    type: 'module',
    description: `Virtual machines on Kubernetes, the kubectl way (tsvirt).\n\nEXIT CODES\n${EXIT_CODES_HELP}`,
    oclif: {
      bin: 'kubectl virt',
      dirname: 'kubectl-virt',
      topicSeparator: ' ',
      commands: { strategy: 'explicit', target: commandsModule, identifier: 'COMMANDS' },
      exitCodes: {
        default: EXIT_CODES.failed,
        failedFlagParsing: EXIT_CODES.usage,
        invalidArgsSpec: EXIT_CODES.usage,
        nonExistentFlags: EXIT_CODES.usage,
        requiredArgs: EXIT_CODES.usage,
        unexpectedArgs: EXIT_CODES.usage,
      },
    },
  };
}

/** Runs the command line `argv`; `commandsModule` is the file that exports COMMANDS. */
export async function runCli(argv: string[], commandsModule: string): Promise<void> {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // `kubectl virt list | head -1`: the reader left; that is not our failure.
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const root = dirname(commandsModule);
  try {
    const config = new Config({ root, pjson: pjson(commandsModule) as never });
    await config.load();
    mark('oclif config loaded (commands.js imported)');
    await run(argv, config);
    mark('command done');
  } catch (err) {
    if (err instanceof Errors.ExitError) {
      process.exitCode = err.oclif.exit;
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`error: ${message.split('\n')[0] ?? message}\n`);
    process.exitCode = err instanceof Errors.CLIError ? EXIT_CODES.usage : EXIT_CODES.failed;
  }
}
