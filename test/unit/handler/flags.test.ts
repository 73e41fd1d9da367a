import { DEFAULT_BOOT_ROOT, DEFAULT_HOST_DISK_ROOT } from '../../../api/cluster-config.js';
import { HANDLER_ENDPOINT_PORT } from '../../../api/subresources.js';
import { DEFAULT_POLL_INTERVAL_MS, parseHandlerFlags } from '../../../handler/flags.js';
import { FlagError, HelpRequested } from '../../../kube/service-flags.js';

const TLS = ['--tls-cert-file=/c', '--tls-key-file=/k', '--client-ca-file=/ca'];

describe('parseHandlerFlags', () => {
  it('takes the node from $NODE_NAME and defaults the rest for the system libvirtd', () => {
    const flags = parseHandlerFlags([], { NODE_NAME: 'node-1' });
    expect(flags).toMatchObject({
      nodeName: 'node-1',
      logLevel: 'info',
      libvirtUri: 'qemu:///system',
      libvirtLogDir: '/var/log/libvirt/qemu',
      runDir: '/run/tsvirt',
      emulation: 'auto',
      metricsPort: 0,
      pollIntervalMs: DEFAULT_POLL_INTERVAL_MS,
      workers: 16,
      roots: { hostDiskRoots: [DEFAULT_HOST_DISK_ROOT], bootRoots: [DEFAULT_BOOT_ROOT] },
      endpoint: undefined,
      guestNetwork: { mode: 'open' },
    });
  });

  it('has no default QEMU log folder for another libvirtd, and trims trailing slashes off roots', () => {
    const flags = parseHandlerFlags(
      ['--node-name=n', '--libvirt-uri=test:///default', '--host-disk-root=/data/', '--host-disk-root=/'],
      {},
    );
    expect(flags.libvirtLogDir).toBeUndefined();
    expect(flags.roots.hostDiskRoots).toEqual(['/data', '/']);
  });

  it('serves the endpoint with all three TLS files, advertising $POD_IP unless told', () => {
    expect(parseHandlerFlags(['--node-name=n', ...TLS], { POD_IP: '10.0.0.7' }).endpoint).toEqual({
      certFile: '/c',
      keyFile: '/k',
      clientCaFile: '/ca',
      port: HANDLER_ENDPOINT_PORT,
      listenAddress: '0.0.0.0',
      advertiseAddress: '10.0.0.7',
    });
  });

  it('reads node-only guest networking with its ports', () => {
    const argv = ['--node-name=n', '--guest-network=node-only', '--guest-node-port=5000', '--guest-node-port=5001'];
    expect(parseHandlerFlags(argv, {}).guestNetwork).toEqual({ mode: 'node-only', nodePorts: [5000, 5001] });
  });

  it.each([
    [[], '--node-name is required (or $NODE_NAME)'],
    [['--node-name=n', '--emulation=xen'], '--emulation must be one of auto, kvm, tcg, not "xen"'],
    [['--node-name=n', '--poll-interval=5'], '--poll-interval must be a whole number of at least 10, not "5"'],
    [['--node-name=n', '--host-disk-root=data'], '--host-disk-root must be an absolute folder, not "data"'],
    [['--node-name=n', '--tls-cert-file=/c'], '--tls-cert-file, --tls-key-file and --client-ca-file go together'],
    [['--node-name=n', '--guest-node-port=5000'], '--guest-node-port needs --guest-network=node-only'],
    [['--node-name=n', '--guest-network=closed'], '--guest-network must be one of open, node-only, not "closed"'],
    [['--node-name=n', '--bogus'], "Unknown option '--bogus'"],
  ])('refuses %j naming the flag', (argv, message) => {
    expect(() => parseHandlerFlags(argv, {})).toThrow(FlagError);
    expect(() => parseHandlerFlags(argv, {})).toThrow(message);
  });

  it('answers --help with every flag, before asking for a node', () => {
    expect(() => parseHandlerFlags(['--help'], {})).toThrow(HelpRequested);
  });
});
