/**
 * virt-api: the aggregated API server of subresources.tsvirt.io/v1alpha1 (start, stop, restart;
 * pause, unpause, soft reboot; console). Stateless: run as many as you like behind one Service.
 *
 *   node dist/virt-api.js --tls-cert-file F --tls-key-file F --handler-client-cert-file F
 *     --handler-client-key-file F --handler-ca-file F [--kubeconfig F] [--port 8443] [--address 0.0.0.0]
 *
 * The front proxy's CA and headers come from kube-system/extension-apiserver-authentication.
 * SIGTERM stops it; open consoles are closed.
 */
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { COMPONENTS } from '../api/names.js';
import { createKubeClients } from '../kube/clients.js';
import { loadKubeConfig } from '../kube/config.js';
import { configMaps } from '../kube/core.js';
import { AUTH_CONFIGMAP, requestHeaderConfig } from './front-proxy.js';
import { VirtApiMetrics } from './metrics.js';
import { startServer } from './server.js';

function usage(message: string): never {
  process.stderr.write(`virt-api: ${message}\n`);
  process.exit(2);
}

const FILE_FLAGS = [
  'tls-cert-file',
  'tls-key-file',
  'handler-client-cert-file',
  'handler-client-key-file',
  'handler-ca-file',
] as const;

function parseFlags(argv: readonly string[]): Readonly<{
  kubeconfig: string | undefined;
  port: number;
  address: string;
  files: Readonly<Record<(typeof FILE_FLAGS)[number], string>>;
}> {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        kubeconfig: { type: 'string' },
        port: { type: 'string', default: '8443' },
        address: { type: 'string', default: '0.0.0.0' },
        ...Object.fromEntries(FILE_FLAGS.map((f) => [f, { type: 'string' as const }])),
      },
      strict: true,
    }).values;
  } catch (e) {
    return usage(e instanceof Error ? e.message : String(e));
  }
  const files = Object.fromEntries(FILE_FLAGS.map((f) => [f, values[f] ?? usage(`--${f} is required`)])) as Record<
    (typeof FILE_FLAGS)[number],
    string
  >;
  const port = Number(values['port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`--port must be 0-65535, got "${values['port']}"`);
  return { kubeconfig: values['kubeconfig'], port, address: values['address'] ?? '0.0.0.0', files };
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const log = pino({ level: process.env['LOG_LEVEL'] ?? 'info', base: { component: COMPONENTS.api } });
  const read = (f: (typeof FILE_FLAGS)[number]): Promise<Buffer> => readFile(flags.files[f]);
  const [cert, key, handlerCert, handlerKey, handlerCa] = await Promise.all(FILE_FLAGS.map(read));
  const clients = createKubeClients(await loadKubeConfig({ kubeconfig: flags.kubeconfig }), {
    userAgent: COMPONENTS.api,
  });
  const authMap = await configMaps(clients).get(AUTH_CONFIGMAP);
  const requestHeader = requestHeaderConfig(authMap.data);
  const metrics = new VirtApiMetrics();
  const server = await startServer({ cert: cert as Buffer, key: key as Buffer }, flags.address, flags.port, {
    clients,
    requestHeader,
    handlerTls: { cert: handlerCert as Buffer, key: handlerKey as Buffer, ca: handlerCa as Buffer },
    metrics,
    log,
  });
  log.info({ port: (server.address() as AddressInfo).port, address: flags.address }, 'Started virt-api');
  const stop = (signal: string): void => {
    log.info({ signal }, 'Stopping virt-api');
    server.closeAllConnections();
    server.close(() => {
      void clients.close().finally(() => process.exit(0));
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`virt-api: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
