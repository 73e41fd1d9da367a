/**
 * Every command, for oclif's explicit command strategy: one map instead of a folder scan or an
 * oclif.manifest.json, so the bundle dispatches without reading the file system (docs/conventions.md §5).
 * The command modules import only oclif and small pure modules at the top; what a command needs
 * to do its work (the client, printers, ink) comes with `await import()` inside run().
 */
import Complete from './commands/complete.js';
import Completion from './commands/completion.js';
import Console from './commands/console.js';
import Create from './commands/create.js';
import Delete from './commands/delete.js';
import Describe from './commands/describe.js';
import Get from './commands/get.js';
import List from './commands/list.js';
import Migrate from './commands/migrate.js';
import MigrateCancel from './commands/migrate-cancel.js';
import Pause from './commands/pause.js';
import PortForward from './commands/port-forward.js';
import Restart from './commands/restart.js';
import Scp from './commands/scp.js';
import SoftReboot from './commands/soft-reboot.js';
import Ssh from './commands/ssh.js';
import Start from './commands/start.js';
import Stop from './commands/stop.js';
import Unpause from './commands/unpause.js';
import Version from './commands/version.js';
import View from './commands/view.js';
import Wait from './commands/wait.js';
import Watch from './commands/watch.js';

export const COMMANDS = {
  __complete: Complete,
  completion: Completion,
  console: Console,
  create: Create,
  delete: Delete,
  describe: Describe,
  get: Get,
  list: List,
  migrate: Migrate,
  'migrate-cancel': MigrateCancel,
  pause: Pause,
  'port-forward': PortForward,
  restart: Restart,
  scp: Scp,
  'soft-reboot': SoftReboot,
  ssh: Ssh,
  start: Start,
  stop: Stop,
  unpause: Unpause,
  version: Version,
  view: View,
  wait: Wait,
  watch: Watch,
};
