import { render } from 'ink-testing-library';
import { VmTable, columnWidths } from '../../../cli/views/vm-table.js';
import { affectedKey, applyEvent, changedKeys, EMPTY_STATE, replaceAll } from '../../../cli/live/state.js';
import { combineLinks, reconnectingText } from '../../../cli/live/reconnect.js';
import { vmHeaders, vmRow } from '../../../cli/printers/vm-rows.js';
import { NOW, running, vm, vmi } from './fixtures.js';

// eslint-disable-next-line no-control-regex -- colour codes are control characters.
const stripAnsi = (s: string): string => s.replace(/\u001b\[[0-9;]*m/g, '');
const opts = { wide: false, allNamespaces: false, now: NOW };

describe('VmTable', () => {
  it('shows a status change on rerender', () => {
    const starting = vm('web', { status: { printableStatus: 'Starting' } });
    const { lastFrame, rerender } = render(
      <VmTable headers={vmHeaders(opts)} rows={[vmRow(starting, undefined, opts)]} statusColumn={2} selected={-1} />,
    );
    expect(stripAnsi(lastFrame() ?? '')).toMatch(/web\s+5m\s+Starting/);
    rerender(
      <VmTable
        headers={vmHeaders(opts)}
        rows={[vmRow(running('web'), vmi('web', { node: 'node-1' }), opts)]}
        statusColumn={2}
        selected={0}
      />,
    );
    expect(stripAnsi(lastFrame() ?? '')).toMatch(/web\s+5m\s+Running\s+True\s+node-1/);
  });

  it('aligns columns as the list printer does', () => {
    const { lastFrame } = render(
      <VmTable
        headers={['NAME', 'STATUS']}
        rows={[
          ['a', 'Running'],
          ['longer', 'Stopped'],
        ]}
        statusColumn={1}
        selected={-1}
      />,
    );
    expect(stripAnsi(lastFrame() ?? '').split('\n')).toEqual([
      'NAME     STATUS',
      'a        Running',
      'longer   Stopped',
    ]);
    expect(columnWidths(['NAME', 'STATUS'], [['longer', 'x']])).toEqual([6, 6]);
  });

  it('says when there are no VMs', () => {
    const { lastFrame } = render(<VmTable headers={['NAME']} rows={[]} statusColumn={0} selected={-1} />);
    expect(stripAnsi(lastFrame() ?? '')).toContain('No VMs yet.');
  });
});

describe('live state', () => {
  it('adds, updates and deletes VMs and VMIs from watch events', () => {
    let s = applyEvent(EMPTY_STATE, { resource: 'virtualmachines', type: 'ADDED', object: vm('web') });
    s = applyEvent(s, { resource: 'virtualmachineinstances', type: 'ADDED', object: vmi('web') });
    s = applyEvent(s, { resource: 'virtualmachines', type: 'MODIFIED', object: running('web') });
    expect(s.vms.get('default/web')?.status?.printableStatus).toBe('Running');
    expect(s.vmis.size).toBe(1);
    s = applyEvent(s, { resource: 'virtualmachineinstances', type: 'DELETED', object: vmi('web') });
    expect(s.vmis.size).toBe(0);
  });

  it('ignores objects that are not ours, and keys a VMI event to its VM row', () => {
    expect(applyEvent(EMPTY_STATE, { resource: 'virtualmachines', type: 'ADDED', object: { kind: 'Status' } })).toBe(
      EMPTY_STATE,
    );
    expect(
      affectedKey({ resource: 'virtualmachineinstances', type: 'ADDED', object: vmi('web', { namespace: 'prod' }) }),
    ).toBe('prod/web');
  });
});

describe('a relist', () => {
  const at = <T extends { metadata: object }>(o: T, resourceVersion: string): T => ({
    ...o,
    metadata: { ...o.metadata, resourceVersion },
  });

  it("replaces one resource's objects and keeps the other's", () => {
    let s = replaceAll(EMPTY_STATE, 'virtualmachines', [vm('a'), vm('b')]);
    s = replaceAll(s, 'virtualmachineinstances', [vmi('a')]);
    s = replaceAll(s, 'virtualmachines', [vm('b'), { kind: 'Status' }]);
    expect([...s.vms.keys()]).toEqual(['default/b']);
    expect([...s.vmis.keys()]).toEqual(['default/a']);
  });

  it('names the rows a watch would have touched: new, changed and gone, not the unchanged', () => {
    const before = new Map([
      ['default/same', at(vm('same'), '5')],
      ['default/moved', at(vm('moved'), '5')],
      ['default/gone', at(vm('gone'), '5')],
    ]);
    const after = new Map([
      ['default/same', at(vm('same'), '5')],
      ['default/moved', at(vm('moved'), '9')],
      ['default/new', at(vm('new'), '8')],
    ]);
    expect(changedKeys(before, after).sort()).toEqual(['default/gone', 'default/moved', 'default/new']);
    expect(changedKeys(after, after)).toEqual([]);
  });
});

describe('the links of the view', () => {
  const down = { kind: 'reconnecting', attempt: 2, retryInMs: 400, reason: 'ECONNREFUSED' } as const;
  it.each([
    ['connecting until every resource has listed', [{ kind: 'connected' } as const, undefined], { kind: 'connecting' }],
    [
      'live once all have',
      [{ kind: 'connected' } as const, { kind: 'relisted', reason: 'gone' } as const],
      { kind: 'live' },
    ],
    [
      'reconnecting while any is down, with its reason',
      [{ kind: 'connected' } as const, down],
      { kind: 'reconnecting', attempt: 2, retryInMs: 400, error: 'ECONNREFUSED' },
    ],
  ])('%s', (_what, links, status) => {
    expect(combineLinks(links)).toEqual(status);
  });

  it('says why and when the next try is', () => {
    expect(reconnectingText({ kind: 'reconnecting', attempt: 3, retryInMs: 1999.6, error: 'ECONNREFUSED' })).toBe(
      'reconnecting… attempt 3, next try in 2s: ECONNREFUSED',
    );
  });
});
