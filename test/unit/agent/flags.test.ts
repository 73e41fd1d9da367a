import { FlagError, parseAgentFlags } from '../../../cluster/agent/flags.js';
import { HelpRequested } from '../../../kube/service-flags.js';

describe('parseAgentFlags', () => {
  it('reads every flag and defaults the handler run dir under the state dir', () => {
    const f = parseAgentFlags([
      '--kubeconfig=/k',
      '--node-name=node-1',
      '--state-dir=/s',
      '--cpu=4',
      '--memory=2Gi',
      '--pods=10',
      '--log-level=debug',
    ]);
    expect(f).toEqual({
      kubeconfig: '/k',
      nodeName: 'node-1',
      stateDir: '/s',
      cpu: '4',
      memory: '2Gi',
      pods: '10',
      handlerRunDir: '/s/handler',
      logLevel: 'debug',
      nodeStatusReportSeconds: 40,
    });
  });

  it('defaults resources to 2 CPUs, 8Gi and 110 Pods, and takes KUBECONFIG and LOG_LEVEL from the environment', () => {
    const f = parseAgentFlags(['--node-name', 'n', '--state-dir', '/s', '--handler-run-dir', '/h'], {
      KUBECONFIG: '/env',
      LOG_LEVEL: 'warn',
    });
    expect(f).toMatchObject({
      cpu: '2',
      memory: '8Gi',
      pods: '110',
      kubeconfig: '/env',
      handlerRunDir: '/h',
      logLevel: 'warn',
    });
  });

  it.each([
    [['--state-dir=/s'], '--node-name is required'],
    [['--node-name=n'], '--state-dir is required'],
    [['--node-name=n', '--state-dir=/s', '--memory=lots'], '--memory: "lots" is not a Kubernetes quantity'],
    [['--node-name=n', '--state-dir=/s', '--pods=1.5'], '--pods: "1.5" is not a whole number'],
    [['--node-name=n', '--state-dir=/s', '--bogus=1'], "Unknown option '--bogus'"],
  ])('rejects %j', (argv, message) => {
    expect(() => parseAgentFlags(argv)).toThrow(FlagError);
    expect(() => parseAgentFlags(argv)).toThrow(message);
  });
});

describe('node agent --help', () => {
  it('lists every flag the parser takes, and asks for nothing else first', () => {
    let usage = '';
    try {
      parseAgentFlags(['--help']);
    } catch (e) {
      if (e instanceof HelpRequested) usage = e.usage;
    }
    expect(usage).toMatch(/^Usage: node-agent \[flags\]/);
    for (const flag of ['--node-name NAME', '--state-dir DIR', '--cpu QUANTITY', '--node-status-report-seconds S'])
      expect(usage).toContain(flag);
  });
});
