// virt-handler through restarts, on a real (private) libvirtd with QEMU under TCG on node-2:
// domains there outlive the handler process, unlike test:///default's. A SIGKILLed handler
// re-adopts running VMs without restarting or rewriting them; a domain destroyed behind its back
// fails its VMI (and runStrategy Always brings a new one); a VMI deleted while the handler was
// down leaves an orphan domain that the restarted handler removes; a domain that is not tsvirt's
// is never touched.
import { chmod } from 'node:fs/promises';
import { dirname } from 'node:path';
import { REASONS } from '../../api/names.js';
import type { ComponentHandle } from '../harness/index.js';
import {
  clusterFromEnv,
  createTestNamespace,
  deleteTestNamespace,
  kubectl,
  stopAllComponents,
  waitFor,
} from '../harness/index.js';
import {
  createVms,
  deleteAllVms,
  getVmi,
  listVmis,
  nodeInfo,
  startController,
  startHandler,
  vmManifest,
  waitVmiPhase,
} from './handler-stack.js';
import { startPrivateLibvirtd, type PrivateLibvirtd } from '../../cluster/libvirtd.js';

const NODE = 'node-2';
const TIMEOUT = 90_000;
const FOREIGN = `<domain type='qemu'><name>not-tsvirt</name><memory unit='MiB'>16</memory><os><type arch='x86_64' machine='pc'>hvm</type></os></domain>`;

describe('virt-handler restarts on a real libvirtd', () => {
  let ns: string;
  let lvd: PrivateLibvirtd;
  let handler: ComponentHandle;

  const startNodeHandler = (): Promise<ComponentHandle> =>
    startHandler({ node: NODE, uri: lvd.uri, logDir: lvd.logDir });
  const domainNames = async (): Promise<string[]> =>
    (await lvd.virsh(['list', '--all', '--name']))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');

  beforeAll(async () => {
    lvd = await startPrivateLibvirtd();
    // QEMU runs as libvirt-qemu and binds each VMI's serial socket under the handler's run folder:
    // it must be able to pass through the (0700) temp folders above it.
    for (let dir = nodeInfo(NODE).handlerRunDir; dir.startsWith(clusterFromEnv().stateDir); dir = dirname(dir))
      await chmod(dir, 0o711);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${lvd.dir}/foreign.xml`, FOREIGN);
    await lvd.virsh(['define', `${lvd.dir}/foreign.xml`]);
    ns = await createTestNamespace('restart');
    await startController();
    handler = await startNodeHandler();
  }, TIMEOUT);

  afterAll(async () => {
    await deleteAllVms(ns, TIMEOUT).catch((err: unknown) => process.stderr.write(`${String(err)}\n`));
    await stopAllComponents();
    await deleteTestNamespace(ns);
    await lvd.stop();
  }, TIMEOUT);

  it(
    're-adopts 10 running VMs after a SIGKILL: none restarted, no status rewritten',
    async () => {
      const names = Array.from({ length: 10 }, (_, i) => `keep-${i}`);
      await createVms(
        ns,
        names.map((n) => vmManifest(n, { node: NODE })),
      );
      for (const n of names) await waitVmiPhase(ns, n, 'Running', { timeoutMs: 60_000 });
      const before = new Map((await listVmis(ns)).map((v) => [v.metadata.name ?? '', v.metadata.resourceVersion]));
      const pidsBefore = await lvd.qemuPids();

      handler.kill('SIGKILL');
      await handler.exited;
      handler = await startNodeHandler();
      await waitFor(
        (seen) => {
          const connected = (handler.logs().match(/Launcher connected/g) ?? []).length;
          seen(`${connected} launchers reconnected`);
          return connected >= names.length;
        },
        { timeoutMs: 30_000, describe: 'every launcher to reconnect to the new handler' },
      );
      // Give the new handler a few polls to act, if it wrongly wanted to.
      await handler.waitForLog(/Started virt-handler/);
      await waitFor(() => handler.logs().split('\n').length > 12, {
        timeoutMs: 5000,
        describe: 'the handler to run a while',
      }).catch(() => undefined);

      const after = await listVmis(ns);
      for (const v of after.filter((x) => names.includes(x.metadata.name ?? ''))) {
        expect([v.metadata.name, v.status?.phase, v.metadata.resourceVersion]).toEqual([
          v.metadata.name,
          'Running',
          before.get(v.metadata.name ?? ''),
        ]);
      }
      const pidsAfter = await lvd.qemuPids();
      for (const n of names) expect(pidsAfter.get(`${ns}_${n}`)).toBe(pidsBefore.get(`${ns}_${n}`));
      expect(handler.logs()).not.toMatch(
        /Defined and started the domain|Sent the domain an ACPI shutdown|Destroyed the domain/,
      );
    },
    TIMEOUT,
  );

  it(
    'fails the VMI of a domain destroyed behind its back; runStrategy Always runs a new one',
    async () => {
      await createVms(ns, [vmManifest('doomed', { node: NODE })]);
      const first = await waitVmiPhase(ns, 'doomed', 'Running', { timeoutMs: 60_000 });
      const vmiEvents = async (): Promise<string> =>
        (
          await kubectl([
            'get',
            'events',
            '-n',
            ns,
            '--field-selector',
            `involvedObject.uid=${first.metadata.uid ?? ''}`,
            '-o',
            'jsonpath={.items[*].reason}',
          ])
        ).stdout;
      await lvd.virsh(['destroy', `${ns}_doomed`]);
      const failed = await waitFor(
        async (seen) => {
          const v = await getVmi(ns, 'doomed');
          seen(v?.status);
          if (v === undefined) return undefined;
          if (v.metadata.uid !== first.metadata.uid) return 'replaced';
          return v.status?.phase === 'Failed' ? v : undefined;
        },
        { timeoutMs: 30_000, describe: 'the first VMI to fail' },
      ).catch(() => undefined);
      // The VMI may already be replaced by the time we look; the handler's log and Event keep the reason.
      if (failed !== undefined && failed !== 'replaced') expect(failed.status?.reason).toBe(REASONS.domainCrashed);
      expect(handler.logs()).toMatch(
        new RegExp(`"name":"doomed"[^\\n]*"phase":"Failed","reason":"${REASONS.domainCrashed}"`),
      );
      expect(await vmiEvents()).toContain(REASONS.domainCrashed);
      await waitVmiPhase(ns, 'doomed', 'Running', { timeoutMs: 60_000, notUid: first.metadata.uid ?? '' });
    },
    TIMEOUT,
  );

  it(
    'removes the orphan domain of a VMI deleted while the handler was down',
    async () => {
      await createVms(ns, [vmManifest('orphan', { node: NODE })]);
      const vmi = await waitVmiPhase(ns, 'orphan', 'Running', { timeoutMs: 60_000 });
      await handler.stop();
      await kubectl(['delete', 'vm', 'orphan', '-n', ns, '--wait=false']);
      await waitFor(
        async (seen) => {
          const v = await getVmi(ns, 'orphan');
          seen(v?.status?.phase ?? 'gone');
          return v === undefined;
        },
        { timeoutMs: 60_000, describe: 'the VMI to be gone while the handler is down' },
      );
      expect(await domainNames()).toContain(`${ns}_orphan`);

      handler = await startNodeHandler();
      await waitFor(
        async (seen) => {
          const names = await domainNames();
          seen(names);
          return !names.includes(`${ns}_orphan`);
        },
        { timeoutMs: 30_000, describe: 'the orphan domain to be undefined' },
      );
      expect(handler.logs()).toMatch(
        new RegExp(`"uid":"${vmi.metadata.uid ?? ''}"[^\\n]*its VMI no longer exists \\(orphan\\)`),
      );
    },
    TIMEOUT,
  );

  it('never touches a domain without tsvirt metadata', async () => {
    expect(await domainNames()).toContain('not-tsvirt');
    expect(handler.logs()).not.toMatch(/not-tsvirt/);
  });
});
