// kube/credentials.ts against real exec plugins: each test writes a shell script that counts its
// runs in a file, and a clock the test moves decides when a cached answer expires.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  credentialSource,
  execInfo,
  isInteractive,
  interactiveMode,
  parseExecCredential,
  TOKEN_FILE_PERIOD_MS,
} from '../../../kube/credentials.js';
import type { ExecConfig, ResolvedKubeconfig } from '../../../kube/kubeconfig.js';
import { KubeConfigError } from '../../../kube/kubeconfig-error.js';

const V1 = 'client.authentication.k8s.io/v1';
const V1BETA1 = 'client.authentication.k8s.io/v1beta1';

const exec = (extra: Partial<ExecConfig> = {}): ExecConfig => ({
  command: 'get-token',
  args: [],
  env: [],
  apiVersion: V1,
  interactiveMode: 'Never',
  ...extra,
});

const cfg = (extra: Partial<ResolvedKubeconfig> = {}): ResolvedKubeconfig => ({
  server: 'https://127.0.0.1:6443',
  contextName: 'test',
  namespace: 'default',
  insecureSkipTlsVerify: false,
  ...extra,
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsvirt-credentials-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * A plugin that appends a line to `calls` per run, saves its KUBERNETES_EXEC_INFO, and answers
 * token-<run number>, expiring at `expires` when given.
 */
async function plugin(opts: { expires?: string; apiVersion?: string; exit?: number } = {}): Promise<{
  command: string;
  calls: () => Promise<number>;
  info: () => Promise<unknown>;
}> {
  const calls = join(dir, 'calls');
  const info = join(dir, 'info.json');
  const command = join(dir, 'plugin.sh');
  const expiry = opts.expires === undefined ? '' : `,"expirationTimestamp":"${opts.expires}"`;
  await writeFile(calls, '');
  await writeFile(
    command,
    [
      '#!/bin/sh',
      `echo run >> '${calls}'`,
      `printf '%s' "$KUBERNETES_EXEC_INFO" > '${info}'`,
      `n=$(wc -l < '${calls}' | tr -d ' ')`,
      opts.exit === undefined ? '' : `exit ${opts.exit}`,
      `printf '{"apiVersion":"${opts.apiVersion ?? V1}","kind":"ExecCredential","status":{"token":"token-%s"${expiry}}}' "$n"`,
      '',
    ].join('\n'),
  );
  await chmod(command, 0o755);
  return {
    command,
    calls: async () => (await readFile(calls, 'utf8')).split('\n').filter((l) => l !== '').length,
    info: async () => JSON.parse(await readFile(info, 'utf8')) as unknown,
  };
}

describe('interactiveMode and isInteractive', () => {
  it('requires interactiveMode in v1, naming the field and its values', () => {
    const { interactiveMode: _omitted, ...noMode } = exec();
    expect(() => interactiveMode(noMode)).toThrow(
      new KubeConfigError(`exec plugin get-token: interactiveMode is required for ${V1}`),
    );
    try {
      interactiveMode(noMode);
    } catch (e) {
      expect((e as KubeConfigError).fix).toBe(
        'Set exec.interactiveMode to Never, IfAvailable or Always in the kubeconfig.',
      );
    }
  });

  it('defaults v1beta1 to IfAvailable and refuses unknown modes and apiVersions', () => {
    const { interactiveMode: _omitted, ...noMode } = exec({ apiVersion: V1BETA1 });
    expect(interactiveMode(noMode)).toBe('IfAvailable');
    expect(() => interactiveMode(exec({ interactiveMode: 'Sometimes' }))).toThrow(
      /interactiveMode "Sometimes" is not one of Never, IfAvailable, Always/,
    );
    expect(() => interactiveMode(exec({ apiVersion: 'client.authentication.k8s.io/v1alpha1' }))).toThrow(
      /apiVersion "client.authentication.k8s.io\/v1alpha1" is not supported/,
    );
  });

  it.each([
    ['Never', false, false],
    ['Never', true, false],
    ['IfAvailable', false, false],
    ['IfAvailable', true, true],
    ['Always', true, true],
  ])('%s with a terminal on stdin = %s is interactive: %s', (mode, terminal, interactive) => {
    expect(isInteractive(exec({ interactiveMode: mode }), terminal)).toBe(interactive);
  });

  it('refuses Always without a terminal, saying what to do', () => {
    expect(() => isInteractive(exec({ interactiveMode: 'Always' }), false)).toThrow(
      /needs a terminal \(interactiveMode: Always\), but stdin is not one/,
    );
  });
});

describe('execInfo', () => {
  const cluster = cfg({
    ca: Buffer.from('CA PEM'),
    tlsServerName: 'kubernetes',
    insecureSkipTlsVerify: true,
    proxyUrl: new URL('http://127.0.0.1:3128'),
  });

  it('gives the plugin the cluster only when it asked (provideClusterInfo), with its exec extension', () => {
    expect(execInfo(cluster, exec(), false)).toEqual({
      apiVersion: V1,
      kind: 'ExecCredential',
      spec: { interactive: false },
    });
    const asked = exec({ provideClusterInfo: true, clusterConfig: { audience: 'tsvirt' } });
    expect(execInfo(cluster, asked, true)).toEqual({
      apiVersion: V1,
      kind: 'ExecCredential',
      spec: {
        interactive: true,
        cluster: {
          server: 'https://127.0.0.1:6443',
          'tls-server-name': 'kubernetes',
          'insecure-skip-tls-verify': true,
          'certificate-authority-data': Buffer.from('CA PEM').toString('base64'),
          'proxy-url': 'http://127.0.0.1:3128/',
          config: { audience: 'tsvirt' },
        },
      },
    });
  });
});

describe('parseExecCredential', () => {
  it('reads a token, a client certificate and the expiry', () => {
    const answer = parseExecCredential(
      exec(),
      JSON.stringify({
        apiVersion: V1,
        kind: 'ExecCredential',
        status: { clientCertificateData: 'CERT', clientKeyData: 'KEY', expirationTimestamp: '2030-01-01T00:00:00Z' },
      }),
    );
    expect(answer.credential.cert?.toString()).toBe('CERT');
    expect(answer.credential.key?.toString()).toBe('KEY');
    expect(answer.expiresAt).toBe(Date.parse('2030-01-01T00:00:00Z'));
  });

  it.each([
    ['not json', /not JSON/],
    [JSON.stringify({ apiVersion: V1, kind: 'Pod' }), /not an ExecCredential/],
    [
      JSON.stringify({ apiVersion: V1BETA1, kind: 'ExecCredential', status: { token: 't' } }),
      /with apiVersion .*v1beta1/,
    ],
    [JSON.stringify({ apiVersion: V1, kind: 'ExecCredential' }), /without status/],
    [
      JSON.stringify({ apiVersion: V1, kind: 'ExecCredential', status: {} }),
      /neither a token nor a client certificate/,
    ],
    [
      JSON.stringify({ apiVersion: V1, kind: 'ExecCredential', status: { clientCertificateData: 'C' } }),
      /only one of clientCertificateData and clientKeyData/,
    ],
    [
      JSON.stringify({ apiVersion: V1, kind: 'ExecCredential', status: { token: 't', expirationTimestamp: 'soon' } }),
      /expirationTimestamp "soon"/,
    ],
  ])('refuses %s', (stdout, message) => {
    expect(() => parseExecCredential(exec(), stdout)).toThrow(message);
  });
});

describe('an exec plugin as a credential source', () => {
  it('runs once while the answer is fresh, again once it expired', async () => {
    const expires = '2030-01-01T00:00:00Z';
    const p = await plugin({ expires });
    let now = Date.parse(expires) - 60_000;
    const source = credentialSource(cfg({ exec: exec({ command: p.command }) }), { now: () => now });
    expect((await source.current()).token).toBe('token-1');
    expect((await source.current()).token).toBe('token-1');
    now = Date.parse(expires) - 1;
    expect((await source.current()).token).toBe('token-1');
    expect(await p.calls()).toBe(1);
    now = Date.parse(expires) + 1;
    expect((await source.current()).token).toBe('token-2');
    expect(await p.calls()).toBe(2);
  });

  it('shares one run between concurrent requests, and keeps an answer without expiry until a 401', async () => {
    const p = await plugin();
    const source = credentialSource(cfg({ exec: exec({ command: p.command }) }));
    const answers = await Promise.all([source.current(), source.current(), source.current()]);
    expect(answers.map((a) => a.token)).toEqual(['token-1', 'token-1', 'token-1']);
    expect(await p.calls()).toBe(1);
    const used = answers[0];
    if (used === undefined) throw new Error('no answer');
    // A 401 for the cached answer runs the plugin again; a late 401 for the same old answer does not.
    expect(source.rejected(used)).toBe(true);
    expect((await source.current()).token).toBe('token-2');
    expect(source.rejected(used)).toBe(true);
    expect((await source.current()).token).toBe('token-2');
    expect(await p.calls()).toBe(2);
  });

  it('tells the plugin whether it is interactive, and the cluster when it asked', async () => {
    const p = await plugin();
    const withCluster = cfg({
      exec: exec({ command: p.command, interactiveMode: 'IfAvailable', provideClusterInfo: true }),
    });
    await credentialSource(withCluster, { stdinIsTerminal: false }).current();
    expect(await p.info()).toEqual({
      apiVersion: V1,
      kind: 'ExecCredential',
      spec: { interactive: false, cluster: { server: 'https://127.0.0.1:6443' } },
    });
    await credentialSource(cfg({ exec: exec({ command: p.command, interactiveMode: 'IfAvailable' }) }), {
      stdinIsTerminal: true,
    }).current();
    expect(await p.info()).toEqual({ apiVersion: V1, kind: 'ExecCredential', spec: { interactive: true } });
  });

  it('passes exec.env and the v1beta1 apiVersion through', async () => {
    const p = await plugin({ apiVersion: V1BETA1 });
    const { interactiveMode: _omitted, ...beta } = exec({ command: p.command, apiVersion: V1BETA1 });
    const token = await credentialSource(cfg({ exec: beta }), { stdinIsTerminal: false }).current();
    expect(token.token).toBe('token-1');
    expect(await p.info()).toEqual({ apiVersion: V1BETA1, kind: 'ExecCredential', spec: { interactive: false } });
  });

  it('says what to install when the command is missing, and that a plugin failed', async () => {
    const missing = exec({
      command: join(dir, 'kubelogin'),
      installHint: 'Install kubelogin: https://example.test/kubelogin',
    });
    const err = await credentialSource(cfg({ exec: missing }))
      .current()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeConfigError);
    expect((err as KubeConfigError).message).toBe(`exec plugin ${join(dir, 'kubelogin')} was not found`);
    expect((err as KubeConfigError).fix).toBe('Install kubelogin: https://example.test/kubelogin');
    const failing = await plugin({ exit: 3 });
    await expect(credentialSource(cfg({ exec: exec({ command: failing.command }) })).current()).rejects.toThrow(
      /failed \(exit 3\)/,
    );
  });
});

describe('a token file as a credential source', () => {
  it('re-reads the file at most once a minute, and at once after a 401', async () => {
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'first\n');
    let now = 1_000_000;
    const source = credentialSource(cfg({ token: 'first', tokenFile }), { now: () => now });
    await writeFile(tokenFile, 'second\n');
    now += TOKEN_FILE_PERIOD_MS - 1;
    expect((await source.current()).token).toBe('first');
    now += 1;
    expect((await source.current()).token).toBe('second');
    await writeFile(tokenFile, 'third\n');
    const used = await source.current();
    expect(used.token).toBe('second');
    expect(source.rejected(used)).toBe(true);
    expect((await source.current()).token).toBe('third');
  });

  it('keeps the last good token when a re-read fails', async () => {
    let now = 0;
    const source = credentialSource(cfg({ token: 'kept', tokenFile: join(dir, 'gone') }), { now: () => now });
    now += TOKEN_FILE_PERIOD_MS;
    expect((await source.current()).token).toBe('kept');
  });

  it('never changes a static token, and a 401 does not ask for a retry', async () => {
    const source = credentialSource(cfg({ token: 'static' }));
    const used = await source.current();
    expect(used.token).toBe('static');
    expect(source.rejected(used)).toBe(false);
  });
});
