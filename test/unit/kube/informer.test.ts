import { applyWatchEvent, relistDiff, withoutManagedFields } from '../../../kube/informer.js';

type Obj = { metadata: { namespace?: string; name: string; resourceVersion: string } };
const obj = (name: string, rv: string, namespace = 'ns'): Obj => ({
  metadata: { namespace, name, resourceVersion: rv },
});
const cacheOf = (...objs: Obj[]) => new Map(objs.map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]));

describe('relistDiff', () => {
  it('adds new objects, updates moved ones, deletes vanished ones and skips unchanged ones', () => {
    const a1 = obj('a', '1');
    const b1 = obj('b', '1');
    const c1 = obj('c', '1');
    const b2 = obj('b', '2');
    const d1 = obj('d', '1');
    const changes = relistDiff(cacheOf(a1, b1, c1), [a1, b2, d1]);
    expect(changes).toEqual([
      { type: 'update', old: b1, obj: b2 },
      { type: 'add', obj: d1 },
      { type: 'delete', obj: c1 },
    ]);
  });

  it('deletes everything when the relist comes back empty', () => {
    const a1 = obj('a', '1');
    expect(relistDiff(cacheOf(a1), [])).toEqual([{ type: 'delete', obj: a1 }]);
  });

  it('keys cluster-scoped objects by name alone', () => {
    const n = { metadata: { name: 'node-1', resourceVersion: '3' } };
    expect(relistDiff(new Map([['node-1', n]]), [n])).toEqual([]);
  });
});

describe('applyWatchEvent', () => {
  it('turns ADDED of a new object into add and of a known one into update', () => {
    const a1 = obj('a', '1');
    const a2 = obj('a', '2');
    expect(applyWatchEvent(cacheOf(), { type: 'ADDED', object: a1 })).toEqual({ type: 'add', obj: a1 });
    expect(applyWatchEvent(cacheOf(a1), { type: 'ADDED', object: a2 })).toEqual({ type: 'update', old: a1, obj: a2 });
  });

  it('turns MODIFIED of an unknown object into add', () => {
    const a2 = obj('a', '2');
    expect(applyWatchEvent(cacheOf(), { type: 'MODIFIED', object: a2 })).toEqual({ type: 'add', obj: a2 });
  });

  it('turns DELETED into delete with the final object', () => {
    const a1 = obj('a', '1');
    const a3 = obj('a', '3');
    expect(applyWatchEvent(cacheOf(a1), { type: 'DELETED', object: a3 })).toEqual({ type: 'delete', obj: a3 });
  });

  it('ignores BOOKMARK events', () => {
    expect(applyWatchEvent(cacheOf(), { type: 'BOOKMARK', object: obj('', '9') })).toBeUndefined();
  });
});

describe('withoutManagedFields', () => {
  it('drops metadata.managedFields and keeps everything else, without changing the input', () => {
    const full = {
      kind: 'Pod',
      metadata: {
        name: 'p',
        namespace: 'ns',
        resourceVersion: '7',
        labels: { a: 'b' },
        managedFields: [{ manager: 'kubectl' }],
      },
      spec: { nodeName: 'n1' },
    };
    expect(withoutManagedFields(full)).toEqual({
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'ns', resourceVersion: '7', labels: { a: 'b' } },
      spec: { nodeName: 'n1' },
    });
    expect(full.metadata.managedFields).toEqual([{ manager: 'kubectl' }]);
  });

  it('returns an object without managedFields (or without metadata) as it is', () => {
    const plain = obj('a', '1');
    expect(withoutManagedFields(plain)).toBe(plain);
    const bare = { kind: 'X' };
    expect(withoutManagedFields(bare)).toBe(bare);
  });
});
