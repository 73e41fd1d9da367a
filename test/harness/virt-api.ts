// virt-api for the integration tier: the same command and APIService as cluster/sync.sh
// (cluster/components.ts), on a free port, with certificates from the test cluster's CA. The
// APIService is cluster-scoped: unregister() removes it, or every later discovery call would wait
// on a server that is gone.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SERVICE_NODE_FLAGS, SYSTEM_NAMESPACE } from '../../api/names.js';
import { APISERVICE_NAME, VIRT_API_SERVICE } from '../../api/subresources.js';
import { ensureTsvirtCerts, handlerEndpointArgs, registerVirtApi, virtApiCommand } from '../../cluster/components.js';
import { freePorts } from '../../cluster/ports.js';
import { type ComponentHandle, clusterFromEnv, kubectl, startComponent } from './index.js';

export type VirtApi = Readonly<{ handle: ComponentHandle; port: number; unregister: () => Promise<void> }>;

/** Starts virt-api, registers its APIService and waits until the aggregator says it is Available. */
export async function startVirtApi(): Promise<VirtApi> {
  const info = clusterFromEnv().info;
  await ensureTsvirtCerts(info);
  const [port = 0] = await freePorts(1);
  // startComponent puts the Node flags and the bundle in front itself.
  const args = virtApiCommand(info, port).args.slice(SERVICE_NODE_FLAGS.length + 1);
  const handle = await startComponent('virt-api', args);
  await handle.waitForLog(/Started virt-api/);
  await registerVirtApi(info, port);
  await kubectl(['wait', '--for=condition=Available', `apiservice/${APISERVICE_NAME}`, '--timeout=60s']);
  return {
    handle,
    port,
    unregister: async () => {
      await kubectl(['delete', 'apiservice', APISERVICE_NAME, '--ignore-not-found']);
      await kubectl(['delete', 'service', VIRT_API_SERVICE, '-n', SYSTEM_NAMESPACE, '--ignore-not-found']);
    },
  };
}

/** The handler flags that make it serve virt-api's endpoint (console, pause, soft reboot); makes its certificates. */
export async function handlerEndpointFlags(): Promise<string[]> {
  await ensureTsvirtCerts(clusterFromEnv().info);
  return handlerEndpointArgs(clusterFromEnv().info);
}

/** A PEM from the test cluster's PKI folder, e.g. `admin.crt`, `front-proxy-client.key`. */
export function pkiFile(name: string): Promise<Buffer> {
  return readFile(join(clusterFromEnv().stateDir, 'pki', name));
}
