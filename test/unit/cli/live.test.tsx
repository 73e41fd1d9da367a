import { render } from 'ink-testing-library';
import { VmTable, columnWidths } from '../../../cli/views/vm-table.js';
import { affectedKey, applyEvent, EMPTY_STATE } from '../../../cli/live/state.js';
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
