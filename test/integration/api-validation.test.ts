// The CRD validation of api/crds/ on the real API server, beyond test/bad-specs/ (bad-specs.test.ts
// tries every rule there): KubeVirt's own examples apply with only their apiVersion changed, the
// defaults land as KubeVirt's do, and a VMI's labels and status still change while its spec cannot.
// No tsvirt component runs here: this is the API server alone, as `kubectl create` meets it.
import { API_VERSION, GROUP, VMI_KIND, VMI_PLURAL } from '../../api/names.js';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/types.js';
import { createTestNamespace, deleteTestNamespace, kubectl, type KubectlResult } from '../harness/index.js';
import { goodVm, loadBadSpecs, vmiTwin, type Json } from './api-validation-specs.js';

/** The spec every file in test/bad-specs/ was made from (good.yaml). */
const GOOD_VM = goodVm(loadBadSpecs());
const goodVmiSpec = (): Json => structuredClone(vmiTwin(GOOD_VM)['spec']) as Json;
const IMMUTABLE_SPEC_MESSAGE = "spec is immutable after creation; change the VirtualMachine's template";

function asVmi(name: string, spec: Json): Json {
  return { apiVersion: API_VERSION, kind: VMI_KIND, metadata: { name }, spec };
}

function asVm(name: string, spec: Json): Json {
  const vm = structuredClone(GOOD_VM) as { metadata: Json; spec: { template: { spec: Json } } };
  vm.metadata = { name };
  vm.spec.template.spec = spec;
  return vm;
}

let ns: string;

beforeAll(async () => {
  ns = await createTestNamespace('api-validation');
}, 60_000);

afterAll(async () => {
  await deleteTestNamespace(ns);
}, 60_000);

/** Server-side dry run: the API server defaults and validates in full, and stores nothing. */
function dryRunCreate(object: Json): Promise<KubectlResult> {
  return kubectl(['create', '--dry-run=server', '-n', ns, '-o', 'json', '-f', '-'], {
    input: JSON.stringify(object),
    allowFailure: true,
  });
}

// From kubevirt/kubevirt examples/ (Apache-2.0), with only apiVersion changed (and the hostDisk path moved
// under the default host disk root, where the cluster's host-path policy allows it).
const KUBEVIRT_EXAMPLES: Readonly<Record<string, Json>> = {
  'vm-cirros.yaml': {
    apiVersion: API_VERSION,
    kind: 'VirtualMachine',
    metadata: { labels: { 'kubevirt.io/vm': 'vm-cirros' }, name: 'vm-cirros' },
    spec: {
      running: false,
      template: {
        metadata: { labels: { 'kubevirt.io/vm': 'vm-cirros' } },
        spec: {
          domain: {
            devices: {
              disks: [
                { disk: { bus: 'virtio' }, name: 'containerdisk' },
                { disk: { bus: 'virtio' }, name: 'cloudinitdisk' },
              ],
            },
            resources: { requests: { memory: '128Mi' } },
          },
          terminationGracePeriodSeconds: 0,
          volumes: [
            {
              containerDisk: { image: 'index.docker.io/kubevirt/cirros-container-disk-demo:mybuild' },
              name: 'containerdisk',
            },
            {
              cloudInitNoCloud: { userData: "#!/bin/sh\n\necho 'printed from cloud-init userdata'\n" },
              name: 'cloudinitdisk',
            },
          ],
        },
      },
    },
  },
  'vmi-ephemeral.yaml': {
    apiVersion: API_VERSION,
    kind: VMI_KIND,
    metadata: { labels: { special: 'vmi-ephemeral' }, name: 'vmi-ephemeral' },
    spec: {
      domain: {
        devices: { disks: [{ disk: { bus: 'virtio' }, name: 'containerdisk' }] },
        memory: { guest: '128Mi' },
        resources: {},
      },
      terminationGracePeriodSeconds: 0,
      volumes: [
        { containerDisk: { image: 'registry:5000/kubevirt/cirros-container-disk-demo:devel' }, name: 'containerdisk' },
      ],
    },
  },
  'vmi-host-disk.yaml': {
    apiVersion: API_VERSION,
    kind: VMI_KIND,
    metadata: { labels: { special: 'vmi-host-disk' }, name: 'vmi-host-disk' },
    spec: {
      domain: {
        devices: { disks: [{ disk: { bus: 'virtio' }, name: 'host-disk' }] },
        memory: { guest: '128Mi' },
        resources: {},
      },
      terminationGracePeriodSeconds: 0,
      volumes: [
        {
          hostDisk: { capacity: '1Gi', path: '/var/lib/tsvirt/disks/disk.img', type: 'DiskOrCreate' },
          name: 'host-disk',
        },
      ],
    },
  },
};

describe("KubeVirt's examples", () => {
  it.each(Object.keys(KUBEVIRT_EXAMPLES))('accepts %s with only its apiVersion changed', async (file) => {
    const result = await dryRunCreate(KUBEVIRT_EXAMPLES[file] ?? {});
    expect({ code: result.code, stderr: result.stderr.trim() }).toEqual({ code: 0, stderr: '' });
  });

  it("defaults a disk's bus to virtio and the grace period to 180 s, as KubeVirt does", async () => {
    const vmi = asVmi('defaults', {
      domain: { memory: { guest: '64Mi' }, devices: { disks: [{ name: 'scratch' }] } },
      volumes: [{ name: 'scratch', emptyDisk: { capacity: '1Gi' } }],
    });
    const result = await dryRunCreate(vmi);
    expect(result.stderr.trim()).toBe('');
    const stored = JSON.parse(result.stdout) as VirtualMachineInstance;
    expect(stored.spec.domain.devices.disks).toEqual([{ name: 'scratch', disk: { bus: 'virtio' } }]);
    expect(stored.spec.terminationGracePeriodSeconds).toBe(180);
  });

  it("stores a VM's template as given, plus the interface model's default", async () => {
    const result = await dryRunCreate(asVm('stored', goodVmiSpec()));
    const stored = JSON.parse(result.stdout) as VirtualMachine;
    expect(stored.spec.template.spec).toMatchObject(goodVmiSpec());
    expect(stored.spec.template.spec.domain.devices.interfaces).toEqual([
      { name: 'default', masquerade: {}, model: 'virtio' },
    ]);
  });
});

describe("a VirtualMachineInstance's spec", () => {
  const resource = `${VMI_PLURAL}.${GROUP}`;

  it('cannot change after creation, while its labels, status and a lowered grace period can', async () => {
    // Given a stored VMI
    await kubectl(['create', '-n', ns, '-f', '-'], { input: JSON.stringify(asVmi('fixed', goodVmiSpec())) });

    // When its guest memory is patched, then the API server refuses with the immutability message
    const patch = JSON.stringify({ spec: { domain: { memory: { guest: '96Mi' } } } });
    const refused = await kubectl(['patch', resource, 'fixed', '-n', ns, '--type=merge', '-p', patch], {
      allowFailure: true,
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('spec: Invalid value: ');
    expect(refused.stderr).toContain(IMMUTABLE_SPEC_MESSAGE);

    // And metadata and status still change
    await kubectl(['label', resource, 'fixed', '-n', ns, 'tier=web']);
    const status = JSON.stringify({ status: { phase: 'Scheduling' } });
    await kubectl(['patch', resource, 'fixed', '-n', ns, '--subresource=status', '--type=merge', '-p', status]);
    const phase = await kubectl(['get', resource, 'fixed', '-n', ns, '-o', 'jsonpath={.status.phase}']);
    expect(phase.stdout).toBe('Scheduling');

    // And the grace period may go down (stop --grace-period), as in KubeVirt
    const lower = JSON.stringify({ spec: { terminationGracePeriodSeconds: 5 } });
    await kubectl(['patch', resource, 'fixed', '-n', ns, '--type=merge', '-p', lower]);
    const grace = await kubectl([
      'get',
      resource,
      'fixed',
      '-n',
      ns,
      '-o',
      'jsonpath={.spec.terminationGracePeriodSeconds}',
    ]);
    expect(grace.stdout).toBe('5');
  }, 30_000);
});

describe('kubectl explain', () => {
  it('teaches the API from the CRD descriptions, down to nested template fields', async () => {
    const runStrategy = await kubectl(['explain', 'virtualmachines.tsvirt.io.spec.runStrategy']);
    expect(runStrategy.stdout).toContain('When a VMI should exist');
    const guest = await kubectl(['explain', 'vm.spec.template.spec.domain.memory.guest', '--api-version', API_VERSION]);
    expect(guest.stdout).toContain('Memory the guest sees');
    const phase = await kubectl(['explain', 'vmi.status.phase', '--api-version', API_VERSION]);
    expect(phase.stdout).toContain('Pending, Scheduling, Scheduled, Running');
  }, 30_000);
});
