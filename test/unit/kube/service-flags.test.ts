import {
  COMMON_FLAGS,
  FlagError,
  HelpRequested,
  boolFlag,
  choiceFlag,
  parseFlags,
  portFlag,
  repeated,
  required,
  single,
  usageText,
  wholeFlag,
  type FlagSpecs,
} from '../../../kube/service-flags.js';

const USAGE = { command: 'virt-thing', summary: 'Does one thing.' };
const SPECS: FlagSpecs = {
  ...COMMON_FLAGS,
  'metrics-port': { help: '/metrics on 127.0.0.1', value: 'PORT', default: '0' },
  'leader-elect': { help: 'work only while leading', boolean: true, default: 'true' },
  root: { help: 'an allowed folder', value: 'DIR', multiple: true, default: '/var/lib/x' },
};

describe('parseFlags', () => {
  it('fills defaults and keeps values as strings, arrays for repeated flags', () => {
    const values = parseFlags([], SPECS, USAGE);
    expect(single(values, 'metrics-port')).toBe('0');
    expect(single(values, 'kubeconfig')).toBeUndefined();
    expect(repeated(values, 'root')).toEqual(['/var/lib/x']);
  });

  it('replaces a repeated default with what was given', () => {
    expect(repeated(parseFlags(['--root=/a', '--root', '/b'], SPECS, USAGE), 'root')).toEqual(['/a', '/b']);
  });

  it('takes a boolean flag alone as true', () => {
    expect(single(parseFlags(['--leader-elect'], SPECS, USAGE), 'leader-elect')).toBe('true');
    expect(single(parseFlags(['--leader-elect=false'], SPECS, USAGE), 'leader-elect')).toBe('false');
  });

  it.each([
    [['--bogus=1'], "Unknown option '--bogus'"],
    [['--metrics-port'], "Option '--metrics-port <value>' argument missing"],
    [['stray'], "Unexpected argument 'stray'"],
  ])('refuses %j with a FlagError naming the flag and pointing at --help', (argv, message) => {
    expect(() => parseFlags(argv, SPECS, USAGE)).toThrow(FlagError);
    expect(() => parseFlags(argv, SPECS, USAGE)).toThrow(message);
    expect(() => parseFlags(argv, SPECS, USAGE)).toThrow('(see --help)');
  });

  it.each([[['--help']], [['-h']], [['--metrics-port=1', '--help']]])('answers %j with the usage', (argv) => {
    expect(() => parseFlags(argv, SPECS, USAGE)).toThrow(HelpRequested);
    try {
      parseFlags(argv, SPECS, USAGE);
    } catch (e) {
      expect(e instanceof HelpRequested ? e.usage : '').toBe(usageText(USAGE, SPECS));
    }
  });
});

describe('usageText', () => {
  it('lists every flag with its value, help, default and whether it repeats', () => {
    expect(usageText(USAGE, SPECS)).toBe(
      [
        'Usage: virt-thing [flags]',
        'Does one thing.',
        '',
        'Flags:',
        '  --kubeconfig FILE',
        '      kubeconfig file (in a Pod: the service account)',
        '  --log-level LEVEL',
        '      pino level: trace, debug, info, warn, error',
        '  --metrics-port PORT',
        '      /metrics on 127.0.0.1 (default 0)',
        '  --leader-elect[=true|false]',
        '      work only while leading (default true)',
        '  --root DIR',
        '      an allowed folder (repeatable, default /var/lib/x)',
        '  --help',
        '      this text',
        '',
      ].join('\n'),
    );
  });
});

describe('value readers', () => {
  it('read ports, whole numbers, booleans and choices', () => {
    expect(portFlag('0', '--p')).toBe(0);
    expect(portFlag('65535', '--p')).toBe(65535);
    expect(wholeFlag('16', '--workers', 1)).toBe(16);
    expect(boolFlag('false', '--b')).toBe(false);
    expect(choiceFlag('tcg', '--emulation', ['auto', 'kvm', 'tcg'])).toBe('tcg');
    expect(required('x', '--x')).toBe('x');
  });

  it.each([
    [
      () => portFlag('70000', '--metrics-port'),
      '--metrics-port must be a port number (0 picks a free one), not "70000"',
    ],
    [() => portFlag('', '--port'), '--port must be a port number (0 picks a free one), not ""'],
    [() => wholeFlag('0', '--workers', 1), '--workers must be a whole number of at least 1, not "0"'],
    [() => wholeFlag('1.5', '--workers', 1), '--workers must be a whole number of at least 1, not "1.5"'],
    [() => boolFlag('maybe', '--leader-elect'), '--leader-elect must be true or false, not "maybe"'],
    [
      () => choiceFlag('xen', '--emulation', ['auto', 'kvm', 'tcg']),
      '--emulation must be one of auto, kvm, tcg, not "xen"',
    ],
    [() => required(undefined, '--node-name', ' (or $NODE_NAME)'), '--node-name is required (or $NODE_NAME)'],
    [() => required('', '--node-name'), '--node-name is required'],
  ])('refuse bad values naming the flag and what it takes (%#)', (read, message) => {
    expect(read).toThrow(FlagError);
    expect(read).toThrow(message);
  });
});
