import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApiClient } from '../../../kube/api-client.js';
import { resolveKubeconfig, mergeKubeconfigs } from '../../../kube/kubeconfig.js';
import { parseFast } from '../../../cli/fast-path.js';

/** The values of one header as the server received them, one per header line. */
const linesOf = (raw: readonly string[], name: string): string[] =>
  raw.flatMap((v, i) => (i % 2 === 0 && v.toLowerCase() === name.toLowerCase() ? [raw[i + 1] ?? ''] : []));

describe('impersonation (--as, --as-group)', () => {
  let server: Server;
  let base: string;
  const seen: Array<{ kind: 'request' | 'upgrade'; headers: IncomingHttpHeaders; raw: string[] }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ kind: 'request', headers: req.headers, raw: req.rawHeaders });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
    server.on('upgrade', (req, socket) => {
      seen.push({ kind: 'upgrade', headers: req.headers, raw: req.rawHeaders });
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (seen.length = 0));

  const cfg = { server: '', contextName: 'c', namespace: 'default', insecureSkipTlsVerify: false };

  it('sends Impersonate-User and one Impersonate-Group line per group on requests and the WebSocket upgrade', async () => {
    const client = createApiClient(
      { ...cfg, server: base, impersonate: { user: 'viewer', groups: ['team-a', 'team-b'] } },
      { timeoutMs: 5_000 },
    );
    try {
      await client.request({ path: '/api/v1/namespaces' });
      await expect(client.openWebSocket('/apis/x/console', 'plain.kubevirt.io')).rejects.toMatchObject({ code: 403 });
    } finally {
      client.close();
    }
    expect(seen.map((s) => s.kind)).toEqual(['request', 'upgrade']);
    for (const s of seen) {
      expect(s.headers['impersonate-user']).toBe('viewer');
      expect(linesOf(s.raw, 'Impersonate-Group')).toEqual(['team-a', 'team-b']);
    }
  });

  it('sends no impersonation headers without --as', async () => {
    const client = createApiClient({ ...cfg, server: base }, {});
    try {
      await client.request({ path: '/api' });
    } finally {
      client.close();
    }
    expect(seen[0]?.headers['impersonate-user']).toBeUndefined();
    expect(seen[0]?.headers['impersonate-group']).toBeUndefined();
  });

  it('lets --as replace the kubeconfig user’s own as/as-groups', () => {
    const merged = mergeKubeconfigs([
      {
        file: '/k',
        doc: {
          'current-context': 'c',
          contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
          clusters: [{ name: 'k', cluster: { server: 'https://k' } }],
          users: [{ name: 'u', user: { token: 't', as: 'from-file', 'as-groups': ['g'] } }],
        },
      },
    ]);
    const read = (): Buffer => Buffer.from('');
    expect(resolveKubeconfig(merged, { env: {} }, ['/k'], read).impersonate).toEqual({
      user: 'from-file',
      groups: ['g'],
    });
    const sel = { env: {}, impersonate: { user: 'editor', groups: [] } };
    expect(resolveKubeconfig(merged, sel, ['/k'], read).impersonate).toEqual({ user: 'editor', groups: [] });
  });

  it('parses --as and repeated --as-group on the list fast path', () => {
    const req = parseFast(['list', '--as', 'viewer', '--as-group', 'a', '--as-group=b']);
    expect(req?.values).toMatchObject({ as: 'viewer', 'as-group': ['a', 'b'] });
  });
});
