import { Flags } from '@oclif/core';
import { connectionFlags, waitFlags } from '../flags.js';
import { KubeCommand, type Connection } from '../kube-command.js';
import { EXIT_CODES, EXIT_CODES_HELP } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import { parseDuration } from '../duration.js';
import { progressAllowed } from '../style.js';

const DRY_RUN = ['none', 'client', 'server'] as const;

export default class Create extends KubeCommand {
  static override summary = 'Create VirtualMachines from a file (-f, - for stdin) or from flags.';
  static override description = `Files hold one or more tsvirt.io/v1alpha1 VirtualMachines (YAML or JSON, several documents or a List). Without -f, --name and the other flags describe one VM; with -f they are a usage error (the file says what the VM is). The API server validates the spec; each problem is printed as "field: problem". --dry-run=client prints what would be sent, --dry-run=server has the API server validate it without storing it.\n\nEXIT CODES\n${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'Create the VMs in vm.yaml', command: '<%= config.bin %> create -f vm.yaml' },
    {
      description: 'Create from stdin and start what was created',
      command: 'cat vm.yaml | <%= config.bin %> create -f - -o name | xargs <%= config.bin %> start --wait',
    },
    {
      description: 'A VM from flags: 2 vCPUs, 512 MiB, direct kernel boot, a host disk, started at once',
      command:
        '<%= config.bin %> create --name web --cpu 2 --memory 512Mi --kernel /var/lib/tsvirt/guest/vmlinuz --initrd /var/lib/tsvirt/guest/initrd.img --kernel-args "console=ttyS0" --disk /var/lib/tsvirt/disks/web.img --run-strategy Always --wait',
    },
    {
      description: 'Show the VM the flags make, without creating it',
      command: '<%= config.bin %> create --name web --dry-run=client -o yaml',
    },
  ];
  static override flags = {
    ...connectionFlags,
    ...waitFlags,
    filename: Flags.string({
      char: 'f',
      description: 'A YAML or JSON file of VirtualMachines; - reads stdin.',
      multiple: true,
    }),
    name: Flags.string({ description: 'The VM name (without -f).' }),
    cpu: Flags.integer({ description: 'vCPUs (cores).', default: 1 }),
    memory: Flags.string({ description: 'Guest memory, a quantity such as 512Mi or 2Gi.', default: '128Mi' }),
    kernel: Flags.string({ description: 'Kernel image path on the node, for direct kernel boot.' }),
    initrd: Flags.string({ description: 'Initrd path on the node (needs --kernel).' }),
    'kernel-args': Flags.string({ description: 'Kernel command line.' }),
    disk: Flags.string({
      description: 'A disk: PATH or NAME=PATH (a host disk), or size=1Gi (an empty scratch disk).',
      multiple: true,
    }),
    'run-strategy': Flags.string({ description: 'Always, RerunOnFailure, Manual, Halted or Once.', default: 'Always' }),
    'dry-run': Flags.option({
      options: DRY_RUN,
      description: 'client: print only; server: validate on the API server, store nothing.',
      default: 'none' as const,
    })(),
    output: Flags.option({
      char: 'o',
      options: ['json', 'yaml', 'name'] as const,
      description: 'Print the created objects in this format.',
    })(),
  };

  async run(): Promise<void> {
    const { flags, metadata } = await this.parse(Create);
    const given = CREATION_FLAGS.filter((f) => flags[f] !== undefined && metadata.flags[f]?.setFromDefault !== true);
    const files = checkSource(flags.filename ?? [], given);
    const timeoutMs = parseDuration(flags.timeout, 'timeout');
    const dryRun = flags['dry-run'];
    const { loadVms, createAll, renderCreated, vmFlagsFrom } = await import('../create-vms.js');
    // A client-side dry run from flags needs no cluster at all.
    const conn = dryRun === 'client' && files.length === 0 ? undefined : await this.connect(flags);
    const namespace = namespaceFor(conn, flags.namespace);
    const vms = await loadVms({
      files,
      namespace,
      explicitNamespace: flags.namespace !== undefined,
      flags: vmFlagsFrom(flags),
    });
    if (conn === undefined || dryRun === 'client') {
      this.out(await renderCreated(vms, flags.output, 'client'));
      return;
    }
    const created = await createAll(conn.client, vms, dryRun);
    this.out(await renderCreated(created, flags.output, dryRun));
    if (flags.wait && dryRun === 'none') await this.waitFor(conn, created, timeoutMs);
  }

  private async waitFor(
    conn: Connection,
    created: readonly Readonly<Record<string, unknown>>[],
    timeoutMs: number,
  ): Promise<void> {
    const { waitForCreated } = await import('../create-vms.js');
    const progress = progressAllowed(process.stderr.isTTY, process.env) ? (l: string): void => this.note(l) : undefined;
    const failures = await waitForCreated(conn.client, created, {
      timeoutMs,
      ...(progress === undefined ? {} : { progress }),
    });
    for (const f of failures) this.note(`error: ${f}`);
    if (failures.length > 0) process.exitCode = EXIT_CODES.failed;
  }
}

function namespaceFor(conn: Connection | undefined, flag: string | undefined): string {
  return conn?.namespace ?? flag ?? 'default';
}

/** The flags that describe a VM (without -f); a file already does, so -f takes none of them. */
const CREATION_FLAGS = ['name', 'cpu', 'memory', 'kernel', 'initrd', 'kernel-args', 'disk', 'run-strategy'] as const;

function checkSource(files: readonly string[], given: readonly string[]): readonly string[] {
  if (files.length > 0 && given.length > 0)
    throw new UsageError(
      `-f takes the VMs as the file describes them; ${given.map((f) => `--${f}`).join(', ')} would be ignored`,
      'Change the file, or drop -f and describe the VM with --name and the other flags.',
    );
  if (files.length === 0 && !given.includes('name'))
    throw new UsageError(
      'nothing to create: pass -f FILE (- for stdin) or --name',
      'kubectl virt create --name web --memory 256Mi',
    );
  return files;
}
