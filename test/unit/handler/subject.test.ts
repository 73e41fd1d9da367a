import type { VirtualMachineInstance } from '../../../api/types.js';
import type { ObservedDomain } from '../../../handler/libvirt/connection.js';
import {
  domainNameFor,
  graceSecondsFor,
  isRunFolderName,
  uidsToQueue,
  vmiRefOfDomain,
} from '../../../handler/sync/subject.js';

function vmi(grace?: number): VirtualMachineInstance {
  return {
    apiVersion: 'tsvirt.io/v1alpha1',
    kind: 'VirtualMachineInstance',
    metadata: { namespace: 'ns', name: 'web', uid: 'u1' },
    spec: { domain: { devices: {} }, ...(grace === undefined ? {} : { terminationGracePeriodSeconds: grace }) },
  };
}

function domain(uid: string, state: ObservedDomain['state'], graceSeconds = 45): ObservedDomain {
  return { name: `ns_${uid}`, state, meta: { uid, namespace: 'ns', name: uid, graceSeconds } };
}

describe('domainNameFor', () => {
  const launcher = { namespace: 'other', name: 'hello', uid: 'u1' };

  it('prefers the VMI, then the polled domain, then the launcher’s hello', () => {
    expect(domainNameFor(vmi(), domain('u1', 'Running'), launcher)).toBe('ns_web');
    expect(domainNameFor(undefined, domain('u1', 'Running'), launcher)).toBe('ns_u1');
    expect(domainNameFor(undefined, undefined, launcher)).toBe('other_hello');
  });

  it('is undefined when nothing knows the uid', () => {
    expect(domainNameFor(undefined, undefined, undefined)).toBeUndefined();
  });
});

describe('graceSecondsFor', () => {
  it('takes the VMI’s grace period, its default, or an orphan domain’s metadata', () => {
    expect(graceSecondsFor(vmi(7), domain('u1', 'Running'))).toBe(7);
    expect(graceSecondsFor(vmi(), domain('u1', 'Running'))).toBe(180);
    expect(graceSecondsFor(undefined, domain('u1', 'Running', 45))).toBe(45);
    expect(graceSecondsFor(undefined, undefined)).toBe(180);
  });
});

describe('vmiRefOfDomain', () => {
  it('reads namespace and name back from a tsvirt domain name', () => {
    expect(vmiRefOfDomain('ns_web')).toEqual({ namespace: 'ns', name: 'web' });
  });

  it.each(['web', 'a_b_c', '_web', 'ns_'])('refuses %s, which tsvirt never makes', (name) => {
    expect(vmiRefOfDomain(name)).toBeUndefined();
  });
});

describe('isRunFolderName', () => {
  it.each([
    ['ns_web', true],
    ['', false],
    ['.', false],
    ['..', false],
    ['../etc', false],
    ['ns/web', false],
  ])('%j → %s', (name, ok) => {
    expect(isRunFolderName(name)).toBe(ok);
  });
});

describe('uidsToQueue', () => {
  const hasVmi = (uid: string): boolean => uid !== 'orphan';

  it('queues what appeared, changed state, vanished, or has no VMI', () => {
    const before = new Map([
      ['same', domain('same', 'Running')],
      ['paused', domain('paused', 'Running')],
      ['gone', domain('gone', 'Running')],
      ['orphan', domain('orphan', 'Running')],
    ]);
    const after = new Map([
      ['same', domain('same', 'Running')],
      ['paused', domain('paused', 'Paused')],
      ['new', domain('new', 'Running')],
      ['orphan', domain('orphan', 'Running')],
    ]);
    expect([...uidsToQueue(before, after, hasVmi)].sort()).toEqual(['gone', 'new', 'orphan', 'paused']);
  });

  it('queues nothing when nothing changed', () => {
    const seen = new Map([['same', domain('same', 'Shutoff')]]);
    expect(uidsToQueue(seen, new Map(seen), hasVmi)).toEqual([]);
  });
});
