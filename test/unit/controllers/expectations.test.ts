import { EXPECTATION_TTL_MS, Expectations } from '../../../controllers/expectations.js';

const obj = (uid: string, rv: string, deleting = false) => ({
  metadata: { uid, resourceVersion: rv, ...(deleting ? { deletionTimestamp: '2026-11-25T14:00:00Z' } : {}) },
});

describe('Expectations', () => {
  it('holds a key until the informer shows the created object at its resourceVersion or later', () => {
    const e = new Expectations(() => 0);
    e.expectObject('ns/a', obj('u1', '100'));
    expect(e.waitMs('ns/a')).toBeGreaterThan(0);
    e.observe('ns/a', obj('u1', '99'), false);
    expect(e.waitMs('ns/a')).toBeGreaterThan(0);
    e.observe('ns/a', obj('u1', '101'), false);
    expect(e.waitMs('ns/a')).toBe(0);
  });

  it('counts an event that arrived before the write returned', () => {
    const e = new Expectations(() => 0);
    e.observe('ns/a', obj('u1', '100'), false);
    e.expectObject('ns/a', obj('u1', '100'));
    expect(e.waitMs('ns/a')).toBe(0);
  });

  it('holds a key until a deleted object shows its deletionTimestamp, vanishes or is replaced', () => {
    for (const [seen, deleted] of [
      [obj('u1', '5', true), false],
      [obj('u1', '5'), true],
      [obj('u2', '6'), false],
    ] as const) {
      const e = new Expectations(() => 0);
      e.observe('ns/a', obj('u1', '4'), false);
      e.expectDeletion('ns/a', 'u1');
      expect(e.waitMs('ns/a')).toBeGreaterThan(0);
      e.observe('ns/a', seen, deleted);
      expect(e.waitMs('ns/a')).toBe(0);
    }
  });

  it('gives up after the TTL, in case an event was missed', () => {
    let now = 0;
    const e = new Expectations(() => now);
    e.expectObject('ns/a', obj('u1', '100'));
    now = EXPECTATION_TTL_MS - 1;
    expect(e.waitMs('ns/a')).toBe(1);
    now = EXPECTATION_TTL_MS;
    expect(e.waitMs('ns/a')).toBe(0);
  });
});
