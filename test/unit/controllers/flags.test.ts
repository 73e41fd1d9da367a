import { FlagError, parseControllerFlags } from '../../../controllers/flags.js';
import { HelpRequested } from '../../../kube/service-flags.js';

const DEFAULTS = {
  launcherCommand: ['/node', '/dist/virt-launcher.cjs'],
  logLevel: 'info',
  leaseNamespace: 'tsvirt-system',
  leaseName: 'virt-controller',
};

describe('parseControllerFlags', () => {
  it('defaults to leader election, 10 workers, picked ports and the bundled launcher', () => {
    expect(parseControllerFlags([], DEFAULTS)).toEqual({
      kubeconfig: undefined,
      leaderElect: true,
      leaseNamespace: 'tsvirt-system',
      leaseName: 'virt-controller',
      workers: 10,
      metricsPort: 0,
      healthPort: 0,
      launcherCommand: DEFAULTS.launcherCommand,
      launcherImage: undefined,
      handlerRunDir: undefined,
      logLevel: 'info',
    });
  });

  it.each([
    [['--leader-elect'], true],
    [['--leader-elect=true'], true],
    [['--leader-elect=false'], false],
  ])('reads %j as leader election %s', (argv, expected) => {
    expect(parseControllerFlags(argv, DEFAULTS).leaderElect).toBe(expected);
  });

  it('takes --launcher-command as a JSON array or repeated', () => {
    expect(parseControllerFlags(['--launcher-command=["sleep","3600"]'], DEFAULTS).launcherCommand).toEqual([
      'sleep',
      '3600',
    ]);
    expect(
      parseControllerFlags(['--launcher-command', 'sleep', '--launcher-command', '60'], DEFAULTS).launcherCommand,
    ).toEqual(['sleep', '60']);
  });

  it.each([
    [['--workers=0']],
    [['--metrics-port=70000']],
    [['--leader-elect=maybe']],
    [['--launcher-command=[1]']],
    [['--launcher-command=[oops']],
    [['--bogus']],
    [['--workers']],
  ])('rejects %j with a FlagError', (argv) => {
    expect(() => parseControllerFlags(argv, DEFAULTS)).toThrow(FlagError);
  });

  it('reads --handler-run-dir as an absolute node path and refuses a relative one', () => {
    expect(parseControllerFlags(['--handler-run-dir=/var/run/tsvirt'], DEFAULTS).handlerRunDir).toBe('/var/run/tsvirt');
    expect(() => parseControllerFlags(['--handler-run-dir=run'], DEFAULTS)).toThrow(
      /--handler-run-dir must be an absolute path/,
    );
  });
});

describe('virt-controller --help', () => {
  it('lists each flag with its default, from the same table the parser reads', () => {
    let usage = '';
    try {
      parseControllerFlags(['--help'], DEFAULTS);
    } catch (e) {
      if (e instanceof HelpRequested) usage = e.usage;
    }
    expect(usage).toContain(
      '--leader-elect[=true|false]\n      work only while holding the leader Lease (default true)',
    );
    expect(usage).toContain('--lease-name NAME\n      name of the leader Lease (default virt-controller)');
    expect(usage).toContain('--workers N\n      reconciles running at once, per controller (default 10)');
  });
});
