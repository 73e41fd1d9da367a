import type { VirtualMachineInstance } from '../../../api/types.js';
import { decideAction } from '../../../handler/vmi-actions.js';

const vmi = (phase: string): VirtualMachineInstance =>
  ({
    apiVersion: 'tsvirt.io/v1alpha1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'web', namespace: 'ns' },
    spec: { domain: {} },
    status: { phase },
  }) as unknown as VirtualMachineInstance;
const running = { kind: 'present', state: 'Running' } as const;
const paused = { kind: 'present', state: 'Paused' } as const;

describe('decideAction', () => {
  it('pauses a running guest and refuses to pause a paused one', () => {
    expect(decideAction('pause', vmi('Running'), running, 'n1')).toEqual({ kind: 'do' });
    expect(decideAction('pause', vmi('Running'), paused, 'n1')).toEqual({
      kind: 'refuse',
      code: 409,
      message: 'VMI is already paused',
    });
    expect(decideAction('unpause', vmi('Running'), running, 'n1')).toMatchObject({ message: 'VMI is not paused' });
    expect(decideAction('softreboot', vmi('Running'), paused, 'n1')).toMatchObject({ code: 409 });
  });

  it('refuses a VMI that does not run here, or whose domain is gone', () => {
    expect(decideAction('console', undefined, running, 'n1')).toEqual({
      kind: 'refuse',
      code: 404,
      message: 'VMI is not on node n1',
    });
    expect(decideAction('console', vmi('Scheduled'), running, 'n1')).toMatchObject({ message: 'VMI is not running' });
    expect(decideAction('console', vmi('Running'), { kind: 'missing' }, 'n1')).toMatchObject({ code: 409 });
    expect(decideAction('console', vmi('Running'), paused, 'n1')).toEqual({ kind: 'do' });
  });
});
