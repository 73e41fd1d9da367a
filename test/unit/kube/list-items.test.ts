import { checkedItems } from '../../../kube/list-items.js';

const isNamed = (u: unknown): u is { metadata: { name: string } } =>
  typeof u === 'object' && u !== null && typeof (u as { metadata?: { name?: unknown } }).metadata?.name === 'string';

describe('checkedItems', () => {
  it('keeps what the guard accepts, in order, and names the rest instead of failing the list', () => {
    const good = [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }];
    const bad = [
      { metadata: { name: 7, namespace: 'ns' } },
      'junk',
      { metadata: { name: 'x', namespace: 'ns' }, spec: 1 },
    ];
    const guard = (u: unknown): u is { metadata: { name: string } } =>
      isNamed(u) && !('spec' in (u as Record<string, unknown>));
    expect(checkedItems([good[0], bad[0], bad[1], good[1], bad[2]], guard)).toEqual({
      items: good,
      skipped: ['ns/(unnamed)', '(unnamed)', 'ns/x'],
    });
  });
});
