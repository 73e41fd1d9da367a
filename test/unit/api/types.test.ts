import { API_VERSION, VM_KIND, VMI_KIND } from '../../../api/names.js';
import {
  isVirtualMachine,
  isVirtualMachineInstance,
  PRINTABLE_STATUSES,
  RUN_STRATEGIES,
  VMI_PHASES,
  type PrintableStatus,
  type RunStrategy,
  type VirtualMachine,
  type VirtualMachineInstance,
  type VmiPhase,
} from '../../../api/types.js';

// Compile-time: the generated unions are exactly the const arrays' words (tsc checks test/ too).
type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameRunStrategies: Equal<RunStrategy, (typeof RUN_STRATEGIES)[number]> = true;
const samePhases: Equal<VmiPhase, (typeof VMI_PHASES)[number]> = true;
const sameStatuses: Equal<PrintableStatus, (typeof PRINTABLE_STATUSES)[number]> = true;

const vmi: VirtualMachineInstance = {
  apiVersion: API_VERSION,
  kind: VMI_KIND,
  metadata: { name: 'web', namespace: 'default' },
  spec: { domain: { memory: { guest: '128Mi' }, devices: {} } },
};
const vm: VirtualMachine = {
  apiVersion: API_VERSION,
  kind: VM_KIND,
  metadata: { name: 'web', namespace: 'default' },
  spec: { runStrategy: 'Always', template: { spec: vmi.spec } },
};

describe('the API vocabularies', () => {
  it("use KubeVirt's words", () => {
    expect([sameRunStrategies, samePhases, sameStatuses]).toEqual([true, true, true]);
    expect(RUN_STRATEGIES).toEqual(['Always', 'RerunOnFailure', 'Manual', 'Halted', 'Once']);
    expect(VMI_PHASES).toEqual(['Pending', 'Scheduling', 'Scheduled', 'Running', 'Succeeded', 'Failed', 'Unknown']);
    expect(PRINTABLE_STATUSES).toContain('ErrorUnschedulable');
    expect(PRINTABLE_STATUSES).toContain('CrashLoopBackOff');
  });
});

describe('isVirtualMachine', () => {
  it('accepts a VirtualMachine as the API server returns it', () => {
    expect(isVirtualMachine(vm)).toBe(true);
    expect(isVirtualMachine(JSON.parse(JSON.stringify(vm)))).toBe(true);
  });

  it.each([
    ['null', null],
    ['an array', [vm]],
    ['a string', 'vm'],
    ['a VMI', vmi],
    ['another group', { ...vm, apiVersion: 'kubevirt.io/v1' }],
    ['no metadata', { ...vm, metadata: undefined }],
    ['no template', { ...vm, spec: { runStrategy: 'Always' } }],
    ['a template without a domain', { ...vm, spec: { template: { spec: {} } } }],
  ])('refuses %s without throwing', (_, value) => {
    expect(isVirtualMachine(value)).toBe(false);
  });
});

describe('isVirtualMachineInstance', () => {
  it('accepts a VirtualMachineInstance', () => {
    expect(isVirtualMachineInstance(vmi)).toBe(true);
  });

  it.each([
    ['undefined', undefined],
    ['a VM', vm],
    ['a spec without a domain', { ...vmi, spec: {} }],
    ['a spec that is an array', { ...vmi, spec: [] }],
  ])('refuses %s without throwing', (_, value) => {
    expect(isVirtualMachineInstance(value)).toBe(false);
  });
});
