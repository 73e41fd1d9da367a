// kubectl virt through the real executable, found by the real kubectl on PATH, against the real
// control plane with virt-controller and a virt-handler per node (libvirt's test driver).
// TSVIRT_CLI_BIN_DIR points at another build of kubectl-virt (default: dist/bin).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { parse } from 'yaml';
import { API_VERSION, VM_KIND } from '../../api/names.js';
import {
  clusterFromEnv,
  createTestNamespace,
  deleteTestNamespace,
  kubectl,
  stopAllComponents,
  waitFor,
} from '../harness/index.js';
import { startController, startHandler } from './handler-stack.js';
import { startVirtApi, type VirtApi } from '../harness/virt-api.js';

type Run = Readonly<{ code: number; stdout: string; stderr: string }>;

let ns: string;
let scratch: string;
let env: NodeJS.ProcessEnv;
let api: VirtApi;

/** Runs a shell command line with kubectl and kubectl-virt on PATH, as a user or a CI job would. */
function sh(line: string, input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', line], { env, cwd: scratch, stdio: ['pipe', 'pipe', 'pipe'], timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** `kubectl virt <args> -n <test namespace>`. */
const virt = (args: string, input = ''): Promise<Run> => sh(`kubectl virt ${args} -n ${ns}`, input);

function vmYaml(
  name: string,
  over: Readonly<{ runStrategy?: string; memory?: string; labels?: Record<string, string> }> = {},
): string {
  const node = clusterFromEnv().nodes[0] ?? 'node-1';
  const vm = {
    apiVersion: API_VERSION,
    kind: VM_KIND,
    metadata: { name, ...(over.labels === undefined ? {} : { labels: over.labels }) },
    spec: {
      runStrategy: over.runStrategy ?? 'Halted',
      template: {
        spec: {
          terminationGracePeriodSeconds: 1,
          nodeSelector: { 'kubernetes.io/hostname': node },
          domain: { memory: { guest: over.memory ?? '32Mi' }, resources: { requests: { cpu: '10m' } }, devices: {} },
        },
      },
    },
  };
  return JSON.stringify(vm);
}

async function writeVm(file: string, name: string, over: Parameters<typeof vmYaml>[1] = {}): Promise<string> {
  const path = join(scratch, file);
  await writeFile(path, vmYaml(name, over));
  return path;
}

const ok = (r: Run): Run => {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
};

beforeAll(async () => {
  const cluster = clusterFromEnv();
  const binDir = process.env['TSVIRT_CLI_BIN_DIR'] ?? join(cluster.repoRoot, 'dist', 'bin');
  env = {
    ...process.env,
    KUBECONFIG: cluster.kubeconfig,
    PATH: [binDir, dirname(cluster.kubectl), process.env['PATH'] ?? ''].join(delimiter),
    NO_COLOR: '1',
  };
  ns = await createTestNamespace('cli');
  scratch = await mkdtemp(join(tmpdir(), 'tsvirt-cli-test-'));
  await startController();
  for (const node of cluster.nodes) await startHandler({ node });
  // start, stop and restart go through virt-api's subresources.
  api = await startVirtApi();
}, 120_000);

afterAll(async () => {
  await (api as VirtApi | undefined)?.unregister();
  await stopAllComponents();
  await deleteTestNamespace(ns);
  await rm(scratch, { recursive: true, force: true });
});

describe('kubectl virt version', () => {
  it('prints the client version without contacting the cluster', async () => {
    const r = ok(await sh('kubectl virt version --client --kubeconfig /nonexistent'));
    expect(r.stdout).toMatch(/^Client Version: v\d+\.\d+\.\d+\n$/);
  });

  it("prints the server's tsvirt version when the cluster answers", async () => {
    const r = ok(await sh('kubectl virt version'));
    expect(r.stdout).toMatch(/^Client Version: v\S+\nServer Version: \S+\n$/);
  });
});

describe('the lifecycle, in every output format', () => {
  const name = 'life';

  it('creates a VM from a file', async () => {
    const file = await writeVm('life.yaml', name);
    expect(ok(await virt(`create -f ${file}`)).stdout).toBe(`virtualmachine.tsvirt.io/${name} created\n`);
  });

  it('starts it and waits until it is Running', async () => {
    const r = ok(await virt(`start ${name} --wait --timeout 60s`));
    expect(r.stdout).toBe(`VM ${name} was scheduled to start\n`);
    // stderr is not a terminal here: no progress lines.
    expect(r.stderr).toBe('');
  });

  it('lists it as a table with its node', async () => {
    const r = ok(await virt('list'));
    const [header, row] = r.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^NAME\s{3,}AGE\s{3,}STATUS\s{3,}READY\s{3,}NODE\s{3,}IP$/);
    expect(row).toMatch(new RegExp(`^${name}\\s+\\S+\\s+Running\\s+True\\s+${clusterFromEnv().nodes[0] ?? ''}\\s+`));
    expect(ok(await virt('list -o wide')).stdout).toMatch(/RUNSTRATEGY\s+CPU\s+MEMORY\n.*Always\s+1\s+32Mi\n/);
  });

  it('prints -o json and -o yaml as kubectl get does', async () => {
    const ours = JSON.parse(ok(await virt('list -o json')).stdout) as unknown;
    const theirs = JSON.parse((await kubectl(['get', 'vm', '-n', ns, '-o', 'json'])).stdout) as unknown;
    expect(ours).toEqual(theirs);
    const one = ok(await virt(`get vm ${name} -o json`)).stdout;
    expect(one).toBe((await kubectl(['get', 'vm', name, '-n', ns, '-o', 'json'])).stdout);
    expect(parse(ok(await virt(`get vm ${name} -o yaml`)).stdout)).toEqual(JSON.parse(one));
    expect(ok(await virt('list -o name')).stdout).toBe(`virtualmachine.tsvirt.io/${name}\n`);
    expect(ok(await virt('get vmi')).stdout).toMatch(
      new RegExp(`^NAME\\s+AGE\\s+PHASE\\s+READY\\s+NODE\\s+IP\\n${name}\\s+\\S+\\s+Running\\s+True`),
    );
  });

  it('describes it: VM, VMI, launcher Pod, domain and events', async () => {
    const r = ok(await virt(`describe ${name}`));
    expect(r.stdout).toMatch(/^Status:\s+Running$/m);
    expect(r.stdout).not.toMatch(/^Not Running:/m);
    expect(r.stdout).toMatch(/^Instance \(VirtualMachineInstance life\):\n\s+Phase:\s+Running/m);
    expect(r.stdout).toMatch(/^Launcher Pod \(virt-launcher-life-\S+\):\n\s+Phase:\s+Running/m);
    expect(r.stdout).toMatch(/^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n/m);
  });

  it('refuses to start it again, as virtctl says it', async () => {
    const r = await virt(`start ${name}`);
    expect([r.code, r.stderr]).toEqual([1, `error: starting VM ${name}: VM is already running\n`]);
  });

  it('restarts it into a new VMI', async () => {
    const before = JSON.parse((await kubectl(['get', 'vmi', name, '-n', ns, '-o', 'json'])).stdout) as {
      metadata: { uid: string };
    };
    ok(await virt(`restart ${name} --wait --timeout 60s`));
    const after = JSON.parse((await kubectl(['get', 'vmi', name, '-n', ns, '-o', 'json'])).stdout) as {
      metadata: { uid: string };
    };
    expect(after.metadata.uid).not.toBe(before.metadata.uid);
  });

  it('stops it and waits until it is Stopped, then says why it is not running', async () => {
    expect(ok(await virt(`stop ${name} --wait --timeout 60s`)).stdout).toBe(`VM ${name} was scheduled to stop\n`);
    expect(ok(await virt('list')).stdout).toMatch(
      new RegExp(`\\n${name}\\s+\\S+\\s+Stopped\\s+False\\s+<none>\\s+<none>\\n`),
    );
    expect(ok(await virt(`describe vm ${name}`)).stdout).toMatch(
      /^Not Running:\s+Stopped: runStrategy is Halted; start it with "kubectl virt start life"$/m,
    );
  });

  it('refuses to stop it again, as virtctl says it', async () => {
    const r = await virt(`stop ${name}`);
    expect([r.code, r.stderr]).toEqual([1, `error: stopping VM ${name}: VM is not running\n`]);
  });

  it('deletes it and waits until it is gone', async () => {
    expect(ok(await virt(`delete ${name} --wait --timeout 60s`)).stdout).toBe(
      `virtualmachine.tsvirt.io "${name}" deleted\n`,
    );
    const r = await virt('list');
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '', `No resources found in ${ns} namespace.\n`]);
  });
});

describe('scripts and CI', () => {
  it('creates from a file and starts what was created: create -o name | xargs start --wait', async () => {
    const file = await writeVm('ci.yaml', 'ci');
    const r = ok(
      await sh(
        `kubectl virt create -n ${ns} -f ${file} -o name | xargs kubectl virt start -n ${ns} --wait --timeout 60s`,
      ),
    );
    expect(r.stdout).toBe('VM ci was scheduled to start\n');
    ok(await virt('wait ci --for=jsonpath={.status.printableStatus}=Running --timeout 5s'));
  });

  it('reads stdin with -f -', async () => {
    expect(ok(await virt('create -f - -o name', vmYaml('from-stdin'))).stdout).toBe(
      'virtualmachine.tsvirt.io/from-stdin\n',
    );
  });

  it('acts on every VM a label selects', async () => {
    for (const n of ['bulk-a', 'bulk-b']) ok(await virt('create -f -', vmYaml(n, { labels: { app: 'bulk' } })));
    expect(ok(await virt('start -l app=bulk --wait --timeout 60s')).stdout).toBe(
      'VM bulk-a was scheduled to start\nVM bulk-b was scheduled to start\n',
    );
    expect(ok(await virt('stop -l app=bulk --wait --timeout 60s')).stdout).toBe(
      'VM bulk-a was scheduled to stop\nVM bulk-b was scheduled to stop\n',
    );
    // describe as kubectl describe: every VM the selector matches, in name order, or none.
    const described = ok(await virt('describe vms -l app=bulk')).stdout;
    expect([...described.matchAll(/^Name:\s+(\S+)$/gm)].map((m) => m[1])).toEqual(['bulk-a', 'bulk-b']);
    const none = ok(await virt('describe vms -l app=nothing'));
    expect([none.stdout, none.stderr]).toEqual(['', `No resources found in ${ns} namespace.\n`]);
    expect(ok(await virt('delete -l app=bulk -o name --wait')).stdout).toBe(
      'virtualmachine.tsvirt.io/bulk-a\nvirtualmachine.tsvirt.io/bulk-b\n',
    );
  });

  it('waits for a condition and for deletion', async () => {
    ok(await virt('wait ci --for=condition=Ready --timeout 30s'));
    ok(await virt('delete ci'));
    expect(ok(await virt('wait ci --for=delete --timeout 60s')).stdout).toBe('virtualmachine.tsvirt.io/ci deleted\n');
  });

  it('creates from flags, with a client-side dry run first', async () => {
    const dry = ok(await virt('create --name flagged --memory 32Mi --run-strategy Halted --dry-run=client -o yaml'));
    expect(parse(dry.stdout)).toMatchObject({
      kind: 'VirtualMachine',
      metadata: { name: 'flagged', namespace: ns },
      spec: { runStrategy: 'Halted' },
    });
    expect((await kubectl(['get', 'vm', 'flagged', '-n', ns, '--ignore-not-found', '-o', 'name'])).stdout).toBe('');
    expect(ok(await virt('create --name flagged --memory 32Mi --run-strategy Halted --dry-run=server')).stdout).toBe(
      'virtualmachine.tsvirt.io/flagged created (server dry run)\n',
    );
    expect(ok(await virt('create --name flagged --memory 32Mi --run-strategy Halted')).stdout).toBe(
      'virtualmachine.tsvirt.io/flagged created\n',
    );
  });

  it("completes VM names through kubectl's plugin completion", async () => {
    const r = ok(await sh(`kubectl __complete virt start -n ${ns} fl`));
    expect(r.stdout).toBe('flagged\n:4\n');
  });

  it('completes the kubectl-virt executable in bash from kubectl-virt completion bash, VM names included', async () => {
    // A real bash runs the script's function as readline would on TAB, with the words typed so far.
    const script = join(scratch, 'complete.bash');
    await writeFile(
      script,
      [
        'source <(kubectl-virt completion bash)',
        `COMP_WORDS=(kubectl-virt start -n ${ns} fl); COMP_CWORD=4; _kubectl_virt; echo "names: \${COMPREPLY[*]}"`,
        'COMP_WORDS=(kubectl-virt sta); COMP_CWORD=1; _kubectl_virt; echo "commands: ${COMPREPLY[*]}"',
        'COMP_WORDS=(kubectl-virt get vm -o ""); COMP_CWORD=4; _kubectl_virt; echo "output: ${COMPREPLY[*]}"',
        'complete -p kubectl-virt',
      ].join('\n') + '\n',
    );
    const r = ok(await sh(`bash ${script}`));
    expect(r.stdout.split('\n')).toEqual([
      'names: flagged',
      'commands: start',
      expect.stringMatching(/^output: .*\bjson\b.*\byaml\b/),
      'complete -F _kubectl_virt kubectl-virt',
      '',
    ]);
  });
});

describe('errors a user understands, with their exit codes', () => {
  it('not found: exit 1, as kubectl says it', async () => {
    const r = await virt('get vm nope');
    expect([r.code, r.stdout, r.stderr]).toEqual([
      1,
      '',
      'Error from server (NotFound): virtualmachines.tsvirt.io "nope" not found\n',
    ]);
    expect((await virt('start nope')).stderr).toBe(
      'Error from server (NotFound): virtualmachines.tsvirt.io "nope" not found\n',
    );
  });

  it('invalid spec: exit 1, one "field: problem" line per cause from the API server', async () => {
    const bad = vmYaml('bad', { runStrategy: 'Sometimes' });
    const r = await virt('create -f -', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: VirtualMachine\.tsvirt\.io "bad" is invalid:\n {2}spec\.runStrategy: Unsupported value: "Sometimes": supported values: "Always", "RerunOnFailure", "Manual", "Halted", "Once"\n/,
    );
  });

  it('no cluster reachable: exit 1 with a hint', async () => {
    const dead = join(scratch, 'dead.kubeconfig');
    // The same credentials, aimed at a port nothing listens on (the kubeconfig may be YAML or JSON).
    const cfg = parse(await readFile(clusterFromEnv().kubeconfig, 'utf8')) as {
      clusters: { cluster: { server: string } }[];
    };
    for (const c of cfg.clusters) c.cluster.server = 'https://127.0.0.1:1';
    await writeFile(dead, JSON.stringify(cfg));
    const r = await sh(`kubectl virt list --kubeconfig ${dead}`);
    expect([r.code, r.stderr]).toEqual([
      1,
      'error: no cluster reachable: Could not reach the API server at https://127.0.0.1:1: ECONNREFUSED\nhint: is the cluster running? Check --kubeconfig, --context and KUBECONFIG\n',
    ]);
  });

  it("forbidden: exit 1, with the API server's words", async () => {
    const scheduler = join(clusterFromEnv().stateDir, 'kubeconfigs', 'kube-scheduler.kubeconfig');
    const r = await sh(`kubectl virt list -n ${ns} --kubeconfig ${scheduler}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `Error from server (Forbidden): virtualmachines.tsvirt.io is forbidden: User "system:kube-scheduler" cannot list resource "virtualmachines" in API group "tsvirt.io" in the namespace "${ns}"\n`,
    );
  });

  it('usage errors: exit 2, nothing sent', async () => {
    const unknown = await virt('list --bogus');
    expect([unknown.code, unknown.stderr]).toEqual([
      2,
      'error: Nonexistent flag: --bogus\nhint: see kubectl virt list --help\n',
    ]);
    const missing = await virt('stop');
    expect([missing.code, missing.stderr]).toEqual([
      2,
      'error: name the VMs to stop, or select them with -l\nhint: kubectl virt stop web\n',
    ]);
    const badMemory = await virt('create --name x --memory 2Gb');
    expect([badMemory.code, badMemory.stderr]).toEqual([
      2,
      'error: --memory "2Gb" is not a quantity\nhint: Use a Kubernetes quantity such as 2Gi or 512Mi.\n',
    ]);
    expect((await sh('kubectl virt nosuch')).code).toBe(2);
  });

  it('a wait that times out: exit 1 and what was last seen', async () => {
    const r = await virt('wait flagged --for=condition=Paused --timeout 1s');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: timed out after 1s waiting for the condition on virtualmachine\.tsvirt\.io\/flagged; last seen: Paused=absent\n$/,
    );
  });

  it('an unschedulable VM: start --wait times out (exit 1), describe says why', async () => {
    ok(await virt('create -f -', vmYaml('huge', { memory: '64Ti' })));
    const r = await virt('start huge --wait --timeout 5s');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: timed out after 5s waiting for VM huge to be Running; last seen: /m);
    await waitFor(
      async (seen) => {
        const d = ok(await virt('describe huge')).stdout;
        seen(d);
        return /^Not Running:\s+Unschedulable: 0\/\d+ nodes are available: .*Insufficient memory/m.test(d);
      },
      { timeoutMs: 30_000, describe: 'describe to say the VM is unschedulable' },
    );
    ok(await virt('stop huge'));
  });

  it('shows a stack trace only with --verbose', async () => {
    const plain = await virt('get vm nope');
    expect(plain.stderr).not.toContain('    at ');
    const verbose = await virt('get vm nope --verbose');
    expect(verbose.stderr).toContain('    at ');
  });
});

describe('following changes', () => {
  it('prints the table, then a line per change, without a terminal (watch and get --watch)', async () => {
    ok(await virt('create -f -', vmYaml('followed')));
    for (const command of ['watch', 'get vm --watch']) {
      const child = spawn('kubectl', ['virt', ...command.split(' '), '-n', ns], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      try {
        await waitFor((seen) => (seen(out), /^followed\s+\S+\s+Stopped/m.test(out)), {
          timeoutMs: 30_000,
          describe: `${command} to print the table`,
        });
        ok(await virt('start followed'));
        await waitFor((seen) => (seen(out), /^followed\s+\S+\s+Running\s+True/m.test(out)), {
          timeoutMs: 60_000,
          describe: `${command} to print the Running line`,
        });
        ok(await virt('stop followed --wait --timeout 60s'));
        await waitFor(
          (seen) => (
            seen(out),
            out
              .trimEnd()
              .split('\n')
              .at(-1)
              ?.match(/^followed\s+\S+\s+Stopped/) !== null
          ),
          { timeoutMs: 30_000, describe: `${command} to print the Stopped line` },
        );
        expect(out.split('\n')[0]).toMatch(/^NAME\s+AGE\s+STATUS\s+READY\s+NODE\s+IP$/);
        expect(out).not.toContain('\u001b[');
      } finally {
        child.kill('SIGTERM');
      }
    }
  });
});

describe('colour', () => {
  it('never colours output that is not a terminal', async () => {
    const r = ok(await sh(`NO_COLOR= FORCE_COLOR=1 kubectl virt list -n ${ns}`));
    expect(r.stdout).not.toContain('\u001b[');
  });
});
