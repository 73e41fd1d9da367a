/**
 * virt-api: the aggregated API server of subresources.tsvirt.io/v1alpha1 (start, stop, restart;
 * pause, unpause, soft reboot; console). Stateless: run as many as you like behind one Service.
 *
 *   node dist/virt-api.js --tls-cert-file F --tls-key-file F --handler-client-cert-file F
 *     --handler-client-key-file F --handler-ca-file F [--kubeconfig F] [--port 8443] [--address 0.0.0.0]
 *
 * The front proxy's CA and headers come from kube-system/extension-apiserver-authentication.
 * It serves its own /healthz, /readyz and /metrics on its TLS port (server.ts), so kube/'s runtime
 * (kube/manager.ts) gives it flags, Events and the shutdown only: SIGTERM closes open consoles.
 */
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:https';
import { pino } from 'pino';
import { COMPONENTS } from '../api/names.js';
import { createKubeClients } from '../kube/clients.js';
import { loadKubeConfig } from '../kube/config.js';
import { configMaps } from '../kube/core.js';
import { Manager, exitOnStartFailure, parseFlagsOrExit } from '../kube/manager.js';
import {
  COMMON_FLAGS,
  parseFlags,
  portFlag,
  required,
  single,
  type FlagSpecs,
  type ServiceUsage,
} from '../kube/service-flags.js';
import { AUTH_CONFIGMAP, requestHeaderConfig } from './front-proxy.js';
import { VirtApiMetrics } from './metrics.js';
import { startServer } from './server.js';

const FILE_FLAGS = [
  'tls-cert-file',
  'tls-key-file',
  'handler-client-cert-file',
  'handler-client-key-file',
  'handler-ca-file',
] as const;

const USAGE: ServiceUsage = {
  command: 'virt-api',
  summary: 'The aggregated API server of subresources.tsvirt.io: VM verbs and the console relay.',
};

const FLAGS = {
  ...COMMON_FLAGS,
  port: { help: 'HTTPS port', value: 'PORT', default: '8443' },
  address: { help: 'listen address', value: 'ADDR', default: '0.0.0.0' },
  'tls-cert-file': { help: 'serving certificate (required)', value: 'FILE' },
  'tls-key-file': { help: 'serving key (required)', value: 'FILE' },
  'handler-client-cert-file': { help: 'client certificate for the handlers (required)', value: 'FILE' },
  'handler-client-key-file': { help: 'client key for the handlers (required)', value: 'FILE' },
  'handler-ca-file': { help: "CA of the handlers' serving certificates (required)", value: 'FILE' },
} as const satisfies FlagSpecs;

type Flags = Readonly<{
  kubeconfig: string | undefined;
  logLevel: string;
  port: number;
  address: string;
  files: Readonly<Record<(typeof FILE_FLAGS)[number], string>>;
}>;

function parseVirtApiFlags(argv: readonly string[]): Flags {
  const values = parseFlags(argv, FLAGS, USAGE);
  const files = Object.fromEntries(FILE_FLAGS.map((f) => [f, required(single(values, f), `--${f}`)])) as Record<
    (typeof FILE_FLAGS)[number],
    string
  >;
  return {
    kubeconfig: single(values, 'kubeconfig'),
    logLevel: single(values, 'log-level') ?? process.env['LOG_LEVEL'] ?? 'info',
    port: portFlag(single(values, 'port') ?? '', '--port'),
    address: single(values, 'address') ?? '0.0.0.0',
    files,
  };
}

async function main(): Promise<void> {
  const flags = parseFlagsOrExit(COMPONENTS.api, () => parseVirtApiFlags(process.argv.slice(2)));
  const log = pino({ level: flags.logLevel, base: { component: COMPONENTS.api } });
  const read = (f: (typeof FILE_FLAGS)[number]): Promise<Buffer> => readFile(flags.files[f]);
  const [cert, key, handlerCert, handlerKey, handlerCa] = await Promise.all(FILE_FLAGS.map(read));
  const clients = createKubeClients(await loadKubeConfig({ kubeconfig: flags.kubeconfig }), {
    userAgent: COMPONENTS.api,
  });
  const manager = new Manager({ component: COMPONENTS.api, logger: log, clients });
  let server: Server | undefined;
  manager.addWorker({
    name: 'aggregated API',
    start: async () => {
      const authMap = await configMaps(clients).get(AUTH_CONFIGMAP);
      server = await startServer({ cert: cert as Buffer, key: key as Buffer }, flags.address, flags.port, {
        clients,
        requestHeader: requestHeaderConfig(authMap.data),
        handlerTls: { cert: handlerCert as Buffer, key: handlerKey as Buffer, ca: handlerCa as Buffer },
        metrics: new VirtApiMetrics(),
        log,
      });
      log.info({ port: (server.address() as AddressInfo).port, address: flags.address }, 'Started virt-api');
    },
    // Open consoles are long-lived: cut them, or close() would wait for every user to hang up.
    stop: () =>
      new Promise<void>((done) => {
        server?.closeAllConnections();
        if (server === undefined) done();
        else server.close(() => done());
      }),
  });
  await manager.start();
}

main().catch(exitOnStartFailure(COMPONENTS.api));
