import { whyNotRunning, type WhyInput } from '../../../cli/describe/why.js';
import { podView } from '../../../cli/describe/views.js';
import { NOW, running, stopped, vm, vmi } from './fixtures.js';

const starting = vm('web', { status: { printableStatus: 'Starting' } });
const renewedAgo = (ms: number): string => new Date(NOW - ms).toISOString();

const pod = (status: object): ReturnType<typeof podView> =>
  podView({ metadata: { name: 'virt-launcher-web-1', uid: 'p1' }, spec: {}, status });

describe('whyNotRunning', () => {
  it.each<[string, WhyInput, string | undefined]>([
    ['nothing for a running VM', { vm: running('web'), vmi: vmi('web'), now: NOW }, undefined],
    [
      'how to start a Halted VM',
      { vm: stopped('db'), now: NOW },
      'Stopped: runStrategy is Halted; start it with "kubectl virt start db"',
    ],
    [
      "the scheduler's message for an unschedulable launcher Pod",
      {
        vm: vm('web', { status: { printableStatus: 'ErrorUnschedulable' } }),
        vmi: vmi('web', { phase: 'Scheduling' }),
        pod: pod({
          phase: 'Pending',
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: '0/1 nodes are available: 1 Insufficient memory.',
            },
          ],
        }),
        now: NOW,
      },
      'Unschedulable: 0/1 nodes are available: 1 Insufficient memory.',
    ],
    [
      "the launcher's last exit in a crash loop",
      {
        vm: vm('web', {
          status: {
            printableStatus: 'CrashLoopBackOff',
            startFailure: { consecutiveFailCount: 3, retryAfterTimestamp: new Date(NOW + 40_000).toISOString() },
          },
        }),
        pod: pod({
          phase: 'Failed',
          containerStatuses: [
            { name: 'compute', restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } },
          ],
        }),
        now: NOW,
      },
      'Crash loop: 3 failed starts in a row; the launcher last exited with exit code 1 (Error); next try 40s from now',
    ],
    [
      'a handler without a heartbeat',
      { vm: starting, vmi: vmi('web', { phase: 'Scheduled', node: 'node-2' }), now: NOW },
      'Waiting for the handler on node node-2: no virt-handler has a heartbeat there',
    ],
    [
      'a handler whose heartbeat stopped',
      {
        vm: starting,
        vmi: vmi('web', { phase: 'Scheduled', node: 'node-2' }),
        handlerRenewTime: renewedAgo(125_000),
        now: NOW,
      },
      'Waiting for the handler on node node-2: its heartbeat stopped 2m5s ago',
    ],
    [
      'a live handler still starting the domain',
      {
        vm: starting,
        vmi: vmi('web', { phase: 'Scheduled', node: 'node-2' }),
        handlerRenewTime: renewedAgo(5_000),
        now: NOW,
      },
      'Waiting for the handler on node node-2 to start the domain',
    ],
    [
      'the scheduler placing the Pod',
      { vm: starting, vmi: vmi('web', { phase: 'Scheduling' }), pod: pod({ phase: 'Pending' }), now: NOW },
      'Waiting for the scheduler to place launcher Pod virt-launcher-web-1',
    ],
    ['the controller making the VMI', { vm: starting, now: NOW }, 'Waiting for the controller to create the VMI'],
    [
      'a failed VMI with the exit',
      {
        vm: starting,
        vmi: { ...vmi('web', { phase: 'Failed' }), status: { phase: 'Failed', reason: 'PodFailed' } },
        pod: pod({ containerStatuses: [{ name: 'c', state: { terminated: { exitCode: 137 } } }] }),
        now: NOW,
      },
      'The VMI failed (PodFailed): the launcher exited with exit code 137',
    ],
    [
      "the handler's refusal of a host path, with the field, the resolved path and the rule",
      {
        vm: starting,
        vmi: {
          ...vmi('web', { phase: 'Failed' }),
          status: {
            phase: 'Failed',
            reason: 'HostPathNotAllowed',
            conditions: [
              {
                type: 'Ready',
                status: 'False',
                reason: 'HostPathNotAllowed',
                message:
                  'spec.volumes[0].hostDisk.path: /var/lib/tsvirt/disks/x.img (resolves to /etc/shadow) is outside',
              },
            ],
          },
        },
        pod: pod({ containerStatuses: [{ name: 'c', state: { terminated: { exitCode: 1 } } }] }),
        now: NOW,
      },
      'The VMI failed (HostPathNotAllowed): spec.volumes[0].hostDisk.path: /var/lib/tsvirt/disks/x.img (resolves to /etc/shadow) is outside',
    ],
    [
      'deletion first',
      { vm: { ...starting, metadata: { ...starting.metadata, deletionTimestamp: '2026-11-25T11:59:00Z' } }, now: NOW },
      'Terminating: the VM is being deleted; its VMI goes first',
    ],
  ])('says %s', (_, input, line) => {
    expect(whyNotRunning(input)).toBe(line);
  });
});
