import { changeRequestPlan, MESSAGES, planRestart, planStart, planStop } from '../../../api/state-change-plan.js';
import { running, stopped, vm, vmi } from '../cli/fixtures.js';

const manual = vm('m', { runStrategy: 'Manual', status: { printableStatus: 'Stopped' } });

describe('planStart', () => {
  it('patches runStrategy Halted to Always, testing the old value first', () => {
    expect(planStart(stopped('db'), undefined)).toEqual({
      kind: 'patch',
      status: false,
      ops: [
        { op: 'test', path: '/spec/runStrategy', value: 'Halted' },
        { op: 'replace', path: '/spec/runStrategy', value: 'Always' },
      ],
    });
  });

  it('refuses a running VM as virtctl does', () => {
    expect(planStart(running('web'), vmi('web'))).toEqual({ kind: 'refuse', message: 'VM is already running' });
  });

  it('asks a Manual VM to start through a state change request on the status', () => {
    expect(planStart(manual, undefined)).toEqual({
      kind: 'patch',
      status: true,
      ops: [{ op: 'add', path: '/status/stateChangeRequests', value: [{ action: 'Start' }] }],
    });
  });

  it('stops the finished VMI of a Manual VM by uid before starting a new one', () => {
    const plan = planStart(manual, vmi('m', { phase: 'Succeeded', uid: 'old' }));
    expect(plan).toEqual({
      kind: 'patch',
      status: true,
      ops: [
        {
          op: 'add',
          path: '/status/stateChangeRequests',
          value: [{ action: 'Stop', uid: 'old' }, { action: 'Start' }],
        },
      ],
    });
  });

  it('adds the whole status when the VM has none yet', () => {
    const fresh = vm('f', { runStrategy: 'Manual' });
    expect(planStart(fresh, undefined)).toEqual({
      kind: 'patch',
      status: true,
      ops: [{ op: 'add', path: '/status', value: { stateChangeRequests: [{ action: 'Start' }] } }],
    });
  });

  it('patches the deprecated spec.running of an old-style VM', () => {
    const old = vm('o', { running: false, status: { printableStatus: 'Stopped' } });
    expect(planStart(old, undefined)).toEqual({
      kind: 'patch',
      status: false,
      ops: [
        { op: 'test', path: '/spec/running', value: false },
        { op: 'replace', path: '/spec/running', value: true },
      ],
    });
  });

  it.each(['Always', 'Once'] as const)('refuses a manual start of runStrategy %s without a VMI', (s) => {
    expect(planStart(vm('x', { runStrategy: s }), undefined)).toEqual({
      kind: 'refuse',
      message: `${s} does not support manual start requests`,
    });
  });

  it('refuses RerunOnFailure whose VMI failed: the controller restarts it', () => {
    expect(planStart(vm('x', { runStrategy: 'RerunOnFailure' }), vmi('x', { phase: 'Failed' })).kind).toBe('refuse');
  });

  it('lets a start through while the VMI has no phase yet', () => {
    const pending = { ...vmi('db'), status: {} };
    expect(planStart(stopped('db'), pending).kind).toBe('patch');
  });
});

describe('planStop', () => {
  it('patches runStrategy Always to Halted', () => {
    expect(planStop(running('web'), vmi('web'), false)).toEqual({
      kind: 'patch',
      status: false,
      ops: [
        { op: 'test', path: '/spec/runStrategy', value: 'Always' },
        { op: 'replace', path: '/spec/runStrategy', value: 'Halted' },
      ],
    });
  });

  it('refuses a stopped VM as virtctl does', () => {
    expect(planStop(stopped('db'), undefined, false)).toEqual({ kind: 'refuse', message: 'VM is not running' });
    expect(planStop(manual, vmi('m', { phase: 'Failed' }), false)).toEqual({
      kind: 'refuse',
      message: MESSAGES.notRunning,
    });
  });

  it('sends a Stop request with the VMI uid for Manual VMs', () => {
    expect(planStop(manual, vmi('m', { uid: 'u1' }), false)).toEqual({
      kind: 'patch',
      status: true,
      ops: [{ op: 'add', path: '/status/stateChangeRequests', value: [{ action: 'Stop', uid: 'u1' }] }],
    });
  });

  it('on a Halted VM still running, stops it only with --force', () => {
    expect(planStop(stopped('db'), vmi('db'), false).kind).toBe('refuse');
    expect(planStop(stopped('db'), vmi('db', { uid: 'u2' }), true)).toEqual({
      kind: 'patch',
      status: true,
      ops: [{ op: 'add', path: '/status/stateChangeRequests', value: [{ action: 'Stop', uid: 'u2' }] }],
    });
  });
});

describe('planRestart', () => {
  it('sends Stop (by uid) and Start in one status write', () => {
    expect(planRestart(running('web'), vmi('web', { uid: 'u3' }))).toEqual({
      kind: 'patch',
      status: true,
      ops: [
        { op: 'add', path: '/status/stateChangeRequests', value: [{ action: 'Stop', uid: 'u3' }, { action: 'Start' }] },
      ],
    });
  });

  it('refuses a VM that does not run, and a Halted one', () => {
    expect(planRestart(running('web'), undefined)).toEqual({ kind: 'refuse', message: 'VM is not running' });
    expect(planRestart(stopped('db'), vmi('db'))).toEqual({
      kind: 'refuse',
      message: 'Halted does not support manual restart requests',
    });
  });
});

describe('changeRequestPlan', () => {
  const pending = vm('p', {
    runStrategy: 'Manual',
    status: { printableStatus: 'Running', stateChangeRequests: [{ action: 'Start' }] },
  });

  it('refuses a second request while one is pending', () => {
    expect(changeRequestPlan(pending, [{ action: 'Start' }])).toEqual({ kind: 'refuse', message: MESSAGES.underway });
  });

  it('lets a lone Stop replace pending requests, as KubeVirt does', () => {
    expect(changeRequestPlan(pending, [{ action: 'Stop' }])).toEqual({
      kind: 'patch',
      status: true,
      ops: [{ op: 'replace', path: '/status/stateChangeRequests', value: [{ action: 'Stop' }] }],
    });
  });
});
