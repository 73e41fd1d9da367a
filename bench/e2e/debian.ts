// The Debian cloud guest (hack/guest-images.sh) through the whole stack, as a CI user runs it: a fresh
// local cluster whose node-1 has a private libvirtd (`local-cluster up --libvirt=node-1`, then `sync`,
// which starts virt-api and a node-only guest network as cluster/sync.sh does), the image pushed to
// the cluster's registry, examples/vm-debian.yaml with an SSH key this bench makes, then RUNS times:
//   `kubectl virt start --wait` → `kubectl virt wait --for=condition=AgentConnected` returns;
//   → the first `kubectl virt ssh … true` that succeeds (the port-forward through kube-apiserver,
//     virt-api and the handler into QEMU's user network);
//   three more `kubectl virt ssh … true`, each timed whole (the round trip a CI step pays);
//   then `kubectl virt stop --wait`, and the next run boots a fresh VMI (fresh overlay, first boot).
// Baseline, at the same load in the same run: the same disk booted by QEMU directly (TCG, 1 vCPU,
// 512 MiB, the same NoCloud user-data), QEMU start → first guest-agent answer on its socket and → the
// first `ssh` that succeeds through a QEMU hostfwd on loopback.
// Needs root: `npm run bench -- --only debian`. TSVIRT_BENCH_DEBIAN_DIR: measure another build of
// the image (a guest-images cache folder holding disk.qcow2 and oci/) instead of the current one.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { VirtualMachine } from '../../api/types.js';
import type { ClusterInfo } from '../../cluster/local-cluster.js';
import { NODE_BIN, REPO, run, until, upCluster } from '../bench-processes.js';
import type { Benchmark, BenchContext } from '../runner.js';

const LOCAL_CLUSTER = join(REPO, 'dist/local-cluster.js');
const VM = 'debian';
const BOOT_TIMEOUT_MS = 400_000;
const ROUND_TRIPS = 3;

// *CpuMs: QEMU's own CPU time (user + system) when the event was seen. Under TCG the guest's work is
// QEMU's, so this moves with what the guest does and far less with the machine's load than wall time.
type Run = Readonly<{
  run: number;
  startWaitMs: number;
  startToAgentMs: number;
  startToSshMs: number;
  sshRoundTripMs: readonly number[];
  agentCpuMs: number;
  sshCpuMs: number;
  directToAgentMs: number;
  directToSshMs: number;
  directSshRoundTripMs: readonly number[];
  directAgentCpuMs: number;
  directSshCpuMs: number;
}>;

type Ctx = Readonly<{
  dir: string;
  qemuPidFile: string;
  clockTicks: number;
  disk: string;
  key: string;
  userData: string;
  virt: (args: readonly string[], timeoutMs?: number) => Promise<{ code: number; out: string }>;
}>;

/** Runs a command whatever its exit code, killed whole (its process group) after timeoutMs. */
function attempt(
  cmd: string,
  args: readonly string[],
  opts: Readonly<{ env?: NodeJS.ProcessEnv; timeoutMs: number }>,
): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], {
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const kill = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), opts.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(kill);
      resolve({ code: code ?? -1, out });
    });
  });
}

/** utime + stime of a process, in ms (/proc/<pid>/stat fields 14 and 15). */
async function cpuMs(pid: number, clockTicks: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3
  return Math.round(((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks);
}

/** A command that must succeed; its stdin is closed (a pipe would EPIPE when it exits first). */
async function must(cmd: string, args: readonly string[]): Promise<string> {
  const r = await attempt(cmd, args, { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.out.slice(-500)}`);
  return r.out;
}

async function timed(f: () => Promise<{ code: number; out: string }>, what: string): Promise<number> {
  const t = Date.now();
  const r = await f();
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}: ${r.out.slice(-500)}`);
  return Date.now() - t;
}

/** Retries `f` (an ssh) every 2 s until it exits 0; resolves with when it did. */
async function firstSuccess(f: () => Promise<{ code: number; out: string }>, what: string): Promise<number> {
  let last = '';
  return until(
    `${what} (last: ${last.slice(-300)})`,
    BOOT_TIMEOUT_MS,
    async () => {
      const r = await f();
      last = r.out;
      return r.code === 0 ? Date.now() : undefined;
    },
    2_000,
  );
}

// A fresh VMI makes fresh host keys: nothing to check them against here.
const SSH_OPTIONS = ['BatchMode=yes', 'StrictHostKeyChecking=no', 'UserKnownHostsFile=/dev/null', 'ConnectTimeout=30'];

async function throughTsvirt(
  ctx: Ctx,
): Promise<
  Pick<Run, 'startWaitMs' | 'startToAgentMs' | 'startToSshMs' | 'sshRoundTripMs' | 'agentCpuMs' | 'sshCpuMs'>
> {
  const ssh = (): Promise<{ code: number; out: string }> =>
    ctx.virt(['ssh', `debian@vm/${VM}`, '-i', ctx.key, ...SSH_OPTIONS.flatMap((o) => ['-t', o]), '-c', 'true'], 60_000);
  const t0 = Date.now();
  await timed(() => ctx.virt(['start', VM, '--wait', '--timeout', '120s'], 130_000), 'kubectl virt start --wait');
  const startWaitMs = Date.now() - t0;
  const pid = Number((await readFile(ctx.qemuPidFile, 'utf8')).trim());
  await timed(
    () =>
      ctx.virt(
        ['wait', `vm/${VM}`, '--for=condition=AgentConnected', '--timeout', `${BOOT_TIMEOUT_MS / 1000}s`],
        BOOT_TIMEOUT_MS + 10_000,
      ),
    'kubectl virt wait --for=condition=AgentConnected',
  );
  const startToAgentMs = Date.now() - t0;
  const agentCpuMs = await cpuMs(pid, ctx.clockTicks);
  const startToSshMs = (await firstSuccess(ssh, 'a first kubectl virt ssh')) - t0;
  const sshCpuMs = await cpuMs(pid, ctx.clockTicks);
  const sshRoundTripMs: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) sshRoundTripMs.push(await timed(ssh, 'kubectl virt ssh'));
  await timed(() => ctx.virt(['stop', VM, '--wait', '--timeout', '300s'], 310_000), 'kubectl virt stop --wait');
  return { startWaitMs, startToAgentMs, startToSshMs, sshRoundTripMs, agentCpuMs, sshCpuMs };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  const port = (server.address() as { port: number }).port;
  await new Promise((done) => server.close(done));
  return port;
}

/** Sends guest-sync every second on the agent's socket until an answer comes; resolves with when. */
async function firstAgentAnswer(socketPath: string): Promise<number> {
  const sock: Socket = await until(
    'QEMU to listen on the agent socket',
    30_000,
    () =>
      new Promise<Socket | undefined>((resolve) => {
        const s = createConnection(socketPath);
        s.once('connect', () => resolve(s));
        s.once('error', () => resolve(undefined));
      }),
    100,
  );
  let answered = 0;
  sock.on('data', (d: Buffer) => {
    if (answered === 0 && d.toString().includes('"return"')) answered = Date.now();
  });
  try {
    let id = 0;
    return await until(
      'the direct guest agent to answer',
      BOOT_TIMEOUT_MS,
      () => {
        if (answered !== 0) return answered;
        sock.write(`{"execute":"guest-sync", "arguments":{"id":${++id}}}\n`);
        return undefined;
      },
      1_000,
    );
  } finally {
    sock.destroy();
  }
}

async function direct(
  ctx: Ctx,
  n: number,
): Promise<
  Pick<Run, 'directToAgentMs' | 'directToSshMs' | 'directSshRoundTripMs' | 'directAgentCpuMs' | 'directSshCpuMs'>
> {
  const w = join(ctx.dir, `direct-${n}`);
  await mkdir(join(w, 'seed'), { recursive: true });
  await must('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', ctx.disk, '-F', 'qcow2', join(w, 'overlay.qcow2')]);
  await writeFile(join(w, 'seed', 'meta-data'), `instance-id: ${randomUUID()}\nlocal-hostname: ${VM}\n`);
  await writeFile(join(w, 'seed', 'user-data'), ctx.userData);
  const iso = join(w, 'seed.iso');
  await must('xorrisofs', [
    '-quiet',
    '-output',
    iso,
    '-volid',
    'cidata',
    '-joliet',
    '-rock',
    join(w, 'seed', 'meta-data'),
    join(w, 'seed', 'user-data'),
  ]);
  const port = await freePort();
  const agent = join(w, 'qga.sock');
  const args = ['-accel', 'tcg', '-machine', 'pc', '-m', '512', '-smp', '1', '-nodefaults', '-display', 'none'];
  args.push(
    '-drive',
    `file=${join(w, 'overlay.qcow2')},if=virtio,format=qcow2`,
    '-drive',
    `file=${iso},if=virtio,format=raw,readonly=on`,
  );
  args.push(
    '-serial',
    `file:${join(w, 'serial.log')}`,
    '-netdev',
    `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${port}-:22`,
  );
  args.push('-device', 'virtio-net-pci,netdev=n0', '-device', 'virtio-serial-pci');
  args.push(
    '-chardev',
    `socket,id=qga,path=${agent},server=on,wait=off`,
    '-device',
    'virtserialport,chardev=qga,name=org.qemu.guest_agent.0',
  );
  const ssh = (): Promise<{ code: number; out: string }> =>
    attempt(
      'ssh',
      ['-q', ...SSH_OPTIONS.flatMap((o) => ['-o', o]), '-i', ctx.key, '-p', String(port), 'debian@127.0.0.1', 'true'],
      { timeoutMs: 60_000 },
    );
  const t0 = Date.now();
  const qemu = spawn('qemu-system-x86_64', args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => qemu.once('exit', () => resolve()));
  try {
    const directToAgentMs = (await firstAgentAnswer(agent)) - t0;
    const directAgentCpuMs = await cpuMs(qemu.pid ?? 0, ctx.clockTicks);
    const directToSshMs = (await firstSuccess(ssh, 'a first direct ssh')) - t0;
    const directSshCpuMs = await cpuMs(qemu.pid ?? 0, ctx.clockTicks);
    const directSshRoundTripMs: number[] = [];
    for (let i = 0; i < ROUND_TRIPS; i++) directSshRoundTripMs.push(await timed(ssh, 'ssh'));
    return { directToAgentMs, directToSshMs, directSshRoundTripMs, directAgentCpuMs, directSshCpuMs };
  } finally {
    qemu.kill('SIGKILL');
    await exited;
    await rm(w, { recursive: true, force: true });
  }
}

/** examples/vm-debian.yaml with the cluster's registry and this bench's SSH key. */
async function debianVm(info: ClusterInfo, pub: string): Promise<VirtualMachine> {
  const text = await readFile(join(REPO, 'examples', 'vm-debian.yaml'), 'utf8');
  return parse(
    text
      .replaceAll('REGISTRY/', `${info.registry ?? 'no-registry'}/`)
      .replace('ssh-ed25519 AAAA...replace-with-your-public-key you@example', pub),
  ) as VirtualMachine;
}

const userDataOf = (vm: VirtualMachine): string =>
  vm.spec.template.spec.volumes?.find((v) => v.cloudInitNoCloud !== undefined)?.cloudInitNoCloud?.userData ?? '';

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function measure(ctx0: BenchContext, info: ClusterInfo, image: string, runs: number): Promise<Run[]> {
  const dir = await mkdtemp(join(tmpdir(), 'tsvirt-debian-ssh-'));
  try {
    const key = join(dir, 'key');
    await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const vm = await debianVm(info, (await readFile(`${key}.pub`, 'utf8')).trim());
    const plugins = process.env['TSVIRT_E2E_PLUGIN_DIR'] ?? join(REPO, 'dist/bin');
    const env = { ...process.env, KUBECONFIG: info.kubeconfig, PATH: `${plugins}:${process.env['PATH']}` };
    const libvirtDir = info.nodes[0]?.libvirtDir;
    if (libvirtDir === undefined) throw new Error('node-1 has no private libvirtd');
    const ctx: Ctx = {
      dir,
      qemuPidFile: join(libvirtDir, 'run', 'qemu', `default_${VM}.pid`),
      clockTicks: Number((await must('getconf', ['CLK_TCK'])).trim()),
      disk: join(image, 'disk.qcow2'),
      key,
      userData: userDataOf(vm),
      virt: (args, timeoutMs = 120_000) => attempt(info.kubectl, ['virt', ...args], { env, timeoutMs }),
    };
    await writeFile(join(dir, 'vm.json'), JSON.stringify(vm));
    await timed(() => ctx.virt(['create', '-f', join(dir, 'vm.json')]), 'kubectl virt create');
    const out: Run[] = [];
    for (let i = 1; i <= runs; i++) {
      ctx0.progress(`run ${i}/${runs}: through tsvirt`);
      const viaTsvirt = await throughTsvirt(ctx);
      ctx0.progress(`run ${i}/${runs}: the same disk by QEMU directly`);
      out.push({ run: i, ...viaTsvirt, ...(await direct(ctx, i)) });
    }
    await ctx.virt(['delete', VM]);
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function measureDebian(ctx: BenchContext, runs: number): Promise<void> {
  const given = process.env['TSVIRT_BENCH_DEBIAN_DIR'];
  ctx.progress(
    given === undefined ? 'the Debian guest (hack/guest-images.sh, cached)' : `the Debian guest in ${given}`,
  );
  const image = given ?? (await run(join(REPO, 'hack/guest-images.sh'), ['--no-push'])).trim().split('\n').pop() ?? '';
  ctx.detail('image', image);
  ctx.progress('a local cluster with a private libvirtd and a registry, tsvirt synced');
  const cluster = await upCluster('debian', ['--nodes=1', '--libvirt=node-1']);
  try {
    await run(NODE_BIN, [LOCAL_CLUSTER, 'sync', `--state-dir=${cluster.state}`]);
    const info = JSON.parse(await readFile(join(cluster.state, 'cluster.json'), 'utf8')) as ClusterInfo;
    if (info.registry === undefined)
      throw new Error('the cluster runs no registry: install docker-registry (hack/install-deps.sh)');
    await must('skopeo', [
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      `oci:${join(image, 'oci')}:12`,
      `docker://${info.registry}/tsvirt/debian:12`,
    ]);
    const r = await measure(ctx, info, image, runs);
    ctx.detail('runs', r);
    const col = (k: 'startToAgentMs' | 'startToSshMs' | 'directToAgentMs' | 'directToSshMs'): number[] =>
      r.map((x) => x[k]);
    const trip = (k: 'sshRoundTripMs' | 'directSshRoundTripMs'): number[] => r.map((x) => median(x[k]));
    ctx.report({
      name: 'Debian: kubectl virt start → AgentConnected',
      unit: 'ms',
      samples: col('startToAgentMs'),
      baseline: { name: 'direct QEMU → first agent answer', samples: col('directToAgentMs') },
    });
    ctx.report({
      name: 'Debian: kubectl virt start → first kubectl virt ssh',
      unit: 'ms',
      samples: col('startToSshMs'),
      baseline: { name: 'direct QEMU → first ssh (hostfwd)', samples: col('directToSshMs') },
    });
    ctx.report({
      name: 'Debian: kubectl virt ssh round trip (`true`, median of 3 per run)',
      unit: 'ms',
      samples: trip('sshRoundTripMs'),
      baseline: { name: 'ssh through a QEMU hostfwd', samples: trip('directSshRoundTripMs') },
    });
    ctx.report({
      name: "Debian: QEMU's CPU time at AgentConnected",
      unit: 'ms',
      samples: r.map((x) => x.agentCpuMs),
      baseline: { name: 'direct QEMU at the first agent answer', samples: r.map((x) => x.directAgentCpuMs) },
    });
    ctx.report({ name: 'Debian: kubectl virt start --wait returns', unit: 'ms', samples: r.map((x) => x.startWaitMs) });
  } finally {
    await cluster.down();
  }
}

export const debianBenchmark: Benchmark = {
  name: 'debian',
  summary:
    'the Debian cloud guest through the whole stack under TCG: start → AgentConnected, → first ssh, ssh round trip, over the same disk booted by QEMU directly',
  boundMs: { quick: 12 * 60_000, full: 30 * 60_000 },
  needs: 'real-guest',
  run: (ctx) => measureDebian(ctx, ctx.quick ? 1 : 3),
};
