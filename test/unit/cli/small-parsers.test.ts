import { formatDuration, parseDuration } from '../../../cli/duration.js';
import { parseGetArgs, parseTarget, vmNames } from '../../../cli/targets.js';
import { colorLevel, progressAllowed } from '../../../cli/style.js';
import { UsageError } from '../../../cli/errors.js';
import { serverVersionFromCrd } from '../../../cli/version-info.js';
import { checkVmGoal, goalAfterCreate } from '../../../cli/vm-waits.js';
import { running, stopped, vm } from './fixtures.js';

describe('durations', () => {
  it.each([
    ['30s', 30_000],
    ['500ms', 500],
    ['1h30m', 5_400_000],
    ['2m', 120_000],
    ['10', 10_000],
    ['0', 0],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text, 'timeout')).toBe(ms);
  });

  it('rejects what is not a duration', () => {
    expect(() => parseDuration('soon', 'timeout')).toThrow(UsageError);
    expect(() => parseDuration('5 m', 'timeout')).toThrow('--timeout "5 m" is not a duration');
  });

  it('prints durations for messages', () => {
    expect([formatDuration(500), formatDuration(30_000), formatDuration(90_000), formatDuration(300_000)]).toEqual([
      '500ms',
      '30s',
      '1m30s',
      '5m',
    ]);
  });
});

describe('names', () => {
  it('accepts web, vm/web and what -o name prints', () => {
    expect(vmNames(['web', 'vm/db', 'virtualmachine.tsvirt.io/api', 'virtualmachines/x'])).toEqual([
      'web',
      'db',
      'api',
      'x',
    ]);
  });

  it('refuses a VMI where a VM is meant, and unknown kinds', () => {
    expect(() => vmNames(['vmi/web'])).toThrow(UsageError);
    expect(() => parseTarget('pod/web', 'virtualmachines')).toThrow(
      /is not a VirtualMachine or VirtualMachineInstance/,
    );
  });

  it('reads get arguments as kubectl does', () => {
    expect(parseGetArgs([])).toEqual({ resource: 'virtualmachines', names: [] });
    expect(parseGetArgs(['vmis'])).toEqual({ resource: 'virtualmachineinstances', names: [] });
    expect(parseGetArgs(['vm', 'web', 'db'])).toEqual({ resource: 'virtualmachines', names: ['web', 'db'] });
    expect(parseGetArgs(['vmi/web'])).toEqual({ resource: 'virtualmachineinstances', names: ['web'] });
    expect(parseGetArgs(['web'])).toEqual({ resource: 'virtualmachines', names: ['web'] });
    expect(() => parseGetArgs(['vm/a', 'vmi/b'])).toThrow(UsageError);
  });

  it.each(['Web', 'web_1', '--wait', '-n', 'a'.repeat(64), 'vm/Web', 'web.'])(
    'refuses %s as a name before anything is sent',
    (arg) => {
      expect(() => vmNames([arg])).toThrow(/is not a VM name: names are DNS labels/);
      expect(() => parseGetArgs(['vm', arg])).toThrow(UsageError);
    },
  );

  it('accepts a name of 63 characters', () => {
    expect(vmNames(['a'.repeat(63)])).toEqual(['a'.repeat(63)]);
  });
});

describe('colour and progress', () => {
  it('colours only a terminal, never with NO_COLOR or TERM=dumb', () => {
    expect(colorLevel(true, {})).toBe(1);
    expect(colorLevel(false, {})).toBe(0);
    expect(colorLevel(undefined, {})).toBe(0);
    expect(colorLevel(true, { NO_COLOR: '1' })).toBe(0);
    expect(colorLevel(true, { TERM: 'dumb' })).toBe(0);
  });

  it('draws progress only on a terminal outside CI', () => {
    expect(progressAllowed(true, {})).toBe(true);
    expect(progressAllowed(true, { CI: 'true' })).toBe(false);
    expect(progressAllowed(false, {})).toBe(false);
  });
});

describe('server version', () => {
  it("reads the CRD's app.kubernetes.io/version label", () => {
    expect(serverVersionFromCrd({ metadata: { labels: { 'app.kubernetes.io/version': 'v0.1.0' } } })).toBe('v0.1.0');
    expect(serverVersionFromCrd({ metadata: {} })).toBe('unknown');
  });
});

describe('--wait goals', () => {
  it('waits for Running only once the status describes the current spec', () => {
    expect(checkVmGoal({ kind: 'running' }, running('web'), undefined)).toEqual({ met: true, seen: 'Running' });
    const stale = { ...running('web'), metadata: { ...running('web').metadata, generation: 2 } };
    expect(checkVmGoal({ kind: 'running' }, stale, undefined).met).toBe(false);
  });

  it('waits with --wait-for-agent until the VM runs and carries AgentConnected True', () => {
    expect(checkVmGoal({ kind: 'agent' }, running('web'), undefined).met).toBe(false);
    const base = running('web');
    const connected = {
      ...base,
      status: {
        ...base.status,
        conditions: [...(base.status?.conditions ?? []), { type: 'AgentConnected', status: 'True' as const }],
      },
    };
    expect(checkVmGoal({ kind: 'agent' }, connected, undefined).met).toBe(true);
  });

  it('waits for Stopped with no pending state change request', () => {
    expect(checkVmGoal({ kind: 'stopped' }, stopped('db'), undefined).met).toBe(true);
    const pending = vm('db', { status: { printableStatus: 'Stopped', stateChangeRequests: [{ action: 'Start' }] } });
    expect(checkVmGoal({ kind: 'stopped' }, pending, undefined).met).toBe(false);
  });

  it('waits after a restart for a new VMI', () => {
    expect(checkVmGoal({ kind: 'restarted', oldVmiUid: 'a' }, running('web'), 'a').met).toBe(false);
    expect(checkVmGoal({ kind: 'restarted', oldVmiUid: 'a' }, running('web'), 'b').met).toBe(true);
  });

  it('says what it saw, with the failure message', () => {
    const failing = vm('x', {
      status: {
        printableStatus: 'CrashLoopBackOff',
        conditions: [{ type: 'Failure', status: 'True', message: 'launcher exited 1' }],
      },
    });
    expect(checkVmGoal({ kind: 'running' }, failing, undefined).seen).toBe('CrashLoopBackOff: launcher exited 1');
    expect(checkVmGoal({ kind: 'running' }, undefined, undefined)).toEqual({ met: false, seen: 'VM not found' });
  });

  it('after create, waits for Running or Stopped by run strategy', () => {
    expect(goalAfterCreate(vm('a'))).toEqual({ kind: 'running' });
    expect(goalAfterCreate(vm('a', { runStrategy: 'Manual' }))).toEqual({ kind: 'stopped' });
  });
});
