import { describeVm } from '../../../cli/describe/render.js';
import { eventView, podView } from '../../../cli/describe/views.js';
import { whyNotRunning } from '../../../cli/describe/why.js';
import { expectGolden } from './golden.js';
import { NOW, running, vm, vmi } from './fixtures.js';

const event = (
  reason: string,
  message: string,
  at: string,
  from: { component?: string; count?: number } = {},
): ReturnType<typeof eventView> =>
  eventView({
    type: reason.startsWith('Failed') ? 'Warning' : 'Normal',
    reason,
    message,
    lastTimestamp: at,
    source: { component: from.component ?? 'virt-controller' },
    count: from.count ?? 1,
  });

describe('describeVm', () => {
  it('shows a running VM with its VMI, launcher Pod, domain and events', () => {
    const v = { ...running('web'), metadata: { ...running('web').metadata, labels: { app: 'web', tier: 'front' } } };
    const base = vmi('web', { node: 'node-1', ip: '10.0.0.5' });
    // The handler reports the emulation in the SoftwareEmulation condition alone.
    const i = {
      ...base,
      status: {
        ...base.status,
        conditions: [
          ...(base.status?.conditions ?? []),
          { type: 'SoftwareEmulation', status: 'True', reason: 'KVMUnavailable' } as const,
        ],
      },
    };
    const pod = podView({
      metadata: { name: 'virt-launcher-web-abcde', uid: 'p' },
      spec: { nodeName: 'node-1' },
      status: { phase: 'Running', containerStatuses: [{ name: 'compute', restartCount: 0, state: { running: {} } }] },
    });
    const events = [
      event('SuccessfulCreate', 'Created virtual machine instance web', '2026-11-25T11:58:30Z'),
      event('Started', 'The virtual machine is running', '2026-11-25T11:58:40Z', { count: 2 }),
    ];
    expectGolden('describe-running.txt', describeVm({ vm: v, vmi: i, pod, events, now: NOW }));
  });

  it('shows an unschedulable VM with the line that says why', () => {
    const v = vm('big', {
      status: {
        printableStatus: 'ErrorUnschedulable',
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'Unschedulable',
            message: '0/1 nodes are available: 1 Insufficient memory.',
          },
        ],
      },
    });
    const i = vmi('big', { phase: 'Scheduling', ready: false });
    const pod = podView({
      metadata: { name: 'virt-launcher-big-xyz' },
      spec: {},
      status: {
        phase: 'Pending',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: '0/1 nodes are available: 1 Insufficient memory.',
          },
        ],
      },
    });
    const events = [
      event('FailedScheduling', '0/1 nodes are available: 1 Insufficient memory.', '2026-11-25T11:59:00Z', {
        component: 'default-scheduler',
        count: 4,
      }),
    ];
    const why = whyNotRunning({ vm: v, vmi: i, pod, now: NOW });
    expectGolden(
      'describe-unschedulable.txt',
      describeVm({ vm: v, vmi: i, pod, events, whyNotRunning: why, now: NOW }),
    );
  });
});
