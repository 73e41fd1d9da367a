import type { JSONSchemaProps } from '../../../api/crds/json-schema.js';
import { CRDS } from '../../../api/crds/index.js';
import {
  DEFAULT_DISK_BUS,
  DEFAULT_INTERFACE_MODEL,
  DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
} from '../../../api/defaults.js';
import { gracePeriodSecondsOf } from '../../../api/lifecycle.js';
import type { VirtualMachineInstance } from '../../../api/types.js';
import type { HostFacts } from '../../../handler/domain/host-facts.js';
import { vmiToDomainXml } from '../../../handler/domain/vmi-to-domain.js';

// The API server stores a CRD default on create; code that reads the field falls back to its own
// value for objects built in code. When the two differ, a VM behaves one way when made with kubectl
// and another in a test or after a restore, as the grace period once did (CRD 180 s, code 30 s).

function* defaultsOf(schema: JSONSchemaProps, path = ''): Generator<readonly [string, unknown]> {
  if (schema.default !== undefined) yield [path, schema.default];
  for (const [key, child] of Object.entries(schema.properties ?? {})) yield* defaultsOf(child, `${path}.${key}`);
  if (schema.items !== undefined) yield* defaultsOf(schema.items, `${path}[]`);
}

const crdDefaults = (name: string): Record<string, unknown> => {
  const crd = CRDS.find((c) => c.spec.names.kind === name);
  const schema = crd?.spec.versions[0]?.schema.openAPIV3Schema;
  if (schema === undefined) throw new Error(`no CRD for ${name}`);
  return Object.fromEntries(defaultsOf(schema));
};

// Every default either CRD stores, and the code's value for it. A default added to a schema fails
// here until the code's fallback is named beside it.
const VMI_SPEC_DEFAULTS = {
  '.domain.devices': {},
  '.domain.devices.disks[].disk': {},
  '.domain.devices.disks[].disk.bus': DEFAULT_DISK_BUS,
  '.domain.devices.interfaces[].model': DEFAULT_INTERFACE_MODEL,
  '.terminationGracePeriodSeconds': DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
};
const under = (prefix: string, table: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(table).map(([k, v]) => [`${prefix}${k}`, v]));

const HOST: HostFacts = { domainType: 'qemu', arch: 'x86_64', machine: 'pc', runDir: '/run/tsvirt' };

/** A VMI as code builds one: no field the CRD would have defaulted. */
const bare: VirtualMachineInstance = {
  apiVersion: 'tsvirt.io/v1alpha1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'bare', namespace: 'ns', uid: '6f1b2c3d-0000-4000-8000-0000000000aa' },
  spec: {
    domain: {
      memory: { guest: '64Mi' },
      devices: { disks: [{ name: 'scratch' }], interfaces: [{ name: 'default', masquerade: {} }] },
    },
    networks: [{ name: 'default', pod: {} }],
    volumes: [{ name: 'scratch', emptyDisk: { capacity: '1Gi' } }],
  },
};

describe('the API defaults', () => {
  it('are the same in the VMI CRD, the VM template and api/defaults.ts', () => {
    expect(crdDefaults('VirtualMachineInstance')).toEqual(under('.spec', VMI_SPEC_DEFAULTS));
    expect(crdDefaults('VirtualMachine')).toEqual(under('.spec.template.spec', VMI_SPEC_DEFAULTS));
  });

  it('are what the code falls back to when a field is unset', () => {
    expect(gracePeriodSecondsOf(bare)).toBe(DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS);
    const xml = vmiToDomainXml(bare, HOST);
    expect(xml).toContain(`<target dev='vda' bus='${DEFAULT_DISK_BUS}'/>`);
    // The NIC is a raw QEMU device (user networking, docs/adr/0007); virtio's is virtio-net-pci.
    expect(DEFAULT_INTERFACE_MODEL).toBe('virtio');
    expect(xml).toContain("<qemu:arg value='virtio-net-pci,netdev=");
    expect(xml).toContain(
      `<tsvirt:gracePeriodSeconds>${DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS}</tsvirt:gracePeriodSeconds>`,
    );
  });
});
