import { complete, connectionFrom, formatCompletion, type CommandInfo } from '../../../cli/completion.js';

const commands: CommandInfo[] = [
  {
    id: 'start',
    summary: 'Start VMs.',
    takesVmNames: true,
    flags: { namespace: { char: 'n', type: 'option' }, wait: { type: 'boolean' } },
  },
  {
    id: 'get',
    summary: 'Show VMs.',
    takesVmNames: true,
    flags: { output: { char: 'o', type: 'option', options: ['json', 'yaml', 'name', 'wide'] } },
  },
  { id: 'version', summary: 'Versions.', takesVmNames: false, flags: { client: { type: 'boolean' } } },
];

describe('complete', () => {
  it('offers commands with their summaries', () => {
    expect(complete(['st'], commands)).toEqual({ kind: 'candidates', candidates: ['start\tStart VMs.'] });
  });

  it('offers flags, and the values of an option flag', () => {
    expect(complete(['start', '--w'], commands)).toEqual({ kind: 'candidates', candidates: ['--wait'] });
    expect(complete(['get', '-o', 'y'], commands)).toEqual({ kind: 'candidates', candidates: ['yaml'] });
  });

  it('asks for VM names where a verb takes them, in the namespace typed so far', () => {
    expect(complete(['start', '-n', 'prod', 'w'], commands)).toEqual({
      kind: 'vmNames',
      prefix: 'w',
      connection: { namespace: 'prod' },
      extra: [],
    });
    expect(complete(['get', ''], commands)).toEqual({
      kind: 'vmNames',
      prefix: '',
      connection: {},
      extra: ['vm', 'vmi'],
    });
    expect(complete(['version', ''], commands)).toEqual({ kind: 'candidates', candidates: [] });
  });

  it('reads -n x, --namespace=x, --context and --kubeconfig', () => {
    expect(connectionFrom(['get', '--namespace=dev', '--context', 'c', '--kubeconfig=/k'])).toEqual({
      namespace: 'dev',
      context: 'c',
      kubeconfig: '/k',
    });
  });

  it("ends the answer with cobra's directive line", () => {
    expect(formatCompletion(['a', 'b'])).toBe('a\nb\n:4\n');
  });
});
