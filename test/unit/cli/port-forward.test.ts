import { parsePortSpec } from '../../../cli/port-forward-session.js';
import { proxyCommand, shellQuote, splitUser, sshOptionArgs } from '../../../cli/ssh-command.js';
import { remotePath } from '../../../cli/commands/scp.js';
import { UsageError } from '../../../cli/errors.js';
import { handlerPath, parseHandlerPath } from '../../../api/subresources.js';

const FLAGS = { 'request-timeout': '0', verbose: false } as const;

describe('parsePortSpec', () => {
  it('reads REMOTE and LOCAL:REMOTE, LOCAL 0 meaning any free port', () => {
    expect(parsePortSpec('22')).toEqual({ local: 22, remote: 22 });
    expect(parsePortSpec('2222:22')).toEqual({ local: 2222, remote: 22 });
    expect(parsePortSpec('0:80')).toEqual({ local: 0, remote: 80 });
  });

  it.each(['', 'ssh', '0', '70000', '1:2:3', ':22'])('refuses %j with a usage error', (spec) => {
    expect(() => parsePortSpec(spec)).toThrow(UsageError);
  });
});

describe('proxyCommand', () => {
  it('reruns this CLI as port-forward --stdio on the VMI with the same connection flags, shell-quoted', () => {
    const cmd = proxyCommand(
      ['/opt/node 24/bin/node', '/opt/tsvirt/dist/cli/main.js'],
      { name: 'web', namespace: 'ci', port: 22 },
      { ...FLAGS, kubeconfig: '/tmp/kc', as: 'alice', 'as-group': ['devs'] },
    );
    expect(cmd).toBe(
      "'/opt/node 24/bin/node' /opt/tsvirt/dist/cli/main.js port-forward --stdio vmi/web 22 --kubeconfig=/tmp/kc --namespace=ci --as=alice --as-group=devs",
    );
  });

  it('quotes a single quote the POSIX way', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});

describe('ssh arguments', () => {
  it('splits USER@ off the target', () => {
    expect(splitUser('debian@vm/web')).toEqual({ user: 'debian', target: 'vm/web' });
    expect(splitUser('vm/web')).toEqual({ target: 'vm/web' });
  });

  it('passes the ProxyCommand, a host key alias per VMI, known hosts, the key and extra options', () => {
    expect(
      sshOptionArgs({
        identity: 'k',
        knownHosts: 'kh',
        options: ['BatchMode=yes'],
        proxy: 'P',
        hostAlias: 'vmi.web.ci',
      }),
    ).toEqual([
      '-o',
      'ProxyCommand=P',
      '-o',
      'HostKeyAlias=vmi.web.ci',
      '-o',
      'UserKnownHostsFile=kh',
      '-i',
      'k',
      '-o',
      'BatchMode=yes',
    ]);
  });

  it("tells scp's remote side from a local path", () => {
    expect(remotePath('debian@vm/web:/tmp/f')).toEqual({ user: 'debian', target: 'vm/web', path: '/tmp/f' });
    expect(remotePath('vmi/web:out.log')).toEqual({ target: 'vmi/web', path: 'out.log' });
    expect(remotePath('./vm/web')).toBeUndefined();
    expect(remotePath('/tmp/a:b')).toBeUndefined();
  });
});

describe('the handler path of a port-forward', () => {
  it('round-trips the port and protocol, and rejects a bad port', () => {
    const path = handlerPath('ns', 'web', 'portforward', { port: 22, protocol: 'tcp' });
    expect(path).toBe('/v1/namespaces/ns/virtualmachineinstances/web/portforward/22/tcp');
    expect(parseHandlerPath(path)).toEqual({
      namespace: 'ns',
      name: 'web',
      action: 'portforward',
      forward: { port: 22, protocol: 'tcp' },
    });
    expect(parseHandlerPath('/v1/namespaces/ns/virtualmachineinstances/web/portforward/0/tcp')).toBeUndefined();
  });
});
