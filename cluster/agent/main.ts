// tsvirt's local node agent (dist/node-agent.js): plays the kubelet for launcher Pods on one
// simulated node. Flags in flags.ts; the Node and Lease in node-heartbeat.ts; Pods in pod-agent.ts.
// kube/manager.ts gives it flags handling and the shutdown; this file keeps the agent's wiring.
import { mkdir } from 'node:fs/promises';
import { pino } from 'pino';
import { COMPONENTS } from '../../api/names.js';
import { RECONNECT_BACKOFF, backoffDelay, sleep } from '../../kube/backoff.js';
import { createKubeClients } from '../../kube/clients.js';
import { loadKubeConfig } from '../../kube/config.js';
import { toApiError } from '../../kube/errors.js';
import type { KubeLogger } from '../../kube/logger.js';
import { Manager, exitOnStartFailure, parseFlagsOrExit } from '../../kube/manager.js';
import { parseAgentFlags } from './flags.js';
import { NodeHeartbeat } from './node-heartbeat.js';
import { PodAgent } from './pod-agent.js';
import { PodProcesses } from './pod-processes.js';

// The API server may still be starting when the agent does: keep trying until it answers or we are stopped.
async function registerWithRetry(heartbeat: NodeHeartbeat, log: KubeLogger, signal: AbortSignal): Promise<boolean> {
  for (let attempt = 0; !signal.aborted; attempt += 1) {
    try {
      await heartbeat.register();
      return true;
    } catch (e) {
      log.warn({ err: toApiError(e), attempt }, 'Could not register the Node, retrying');
      await sleep(backoffDelay(RECONNECT_BACKOFF, attempt), signal);
    }
  }
  return false;
}

async function main(): Promise<void> {
  const flags = parseFlagsOrExit(COMPONENTS.nodeAgent, () => parseAgentFlags(process.argv.slice(2), process.env));
  const log = pino({ level: flags.logLevel, base: { component: COMPONENTS.nodeAgent, node: flags.nodeName } });
  await mkdir(flags.stateDir, { recursive: true });
  await mkdir(flags.handlerRunDir, { recursive: true });
  const clients = createKubeClients(await loadKubeConfig({ kubeconfig: flags.kubeconfig }), {
    userAgent: `${COMPONENTS.nodeAgent}/${flags.nodeName}`,
  });
  // Like a kubelet restart: launcher processes keep running and are adopted by the next agent.
  const manager = new Manager({
    component: COMPONENTS.nodeAgent,
    logger: log,
    clients,
    stopNote: '; launcher processes keep running',
  });
  // Process exits arrive only after recover() below, when `agent` exists.
  const processes = new PodProcesses(flags.stateDir, log, (uid) => agent.processChanged(uid));
  const agent = new PodAgent(clients, processes, { nodeName: flags.nodeName, handlerRunDir: flags.handlerRunDir, log });
  const heartbeat = new NodeHeartbeat(clients, flags.nodeName, flags, {
    log,
    statusReportMs: flags.nodeStatusReportSeconds * 1000,
  });
  const stopping = new AbortController();
  manager.addWorker({
    name: 'node',
    start: async () => {
      await processes.recover();
      if (!(await registerWithRetry(heartbeat, log, stopping.signal))) return;
      heartbeat.start();
      if (await agent.start(stopping.signal)) log.info({ stateDir: flags.stateDir }, 'Node agent started');
    },
    stop: async () => {
      stopping.abort();
      await agent.stop();
    },
  });
  manager.onStop('leases', 'node heartbeat', () => heartbeat.stop());
  manager.onStop('clients', 'launcher processes', () => processes.close());
  await manager.start();
}

main().catch(exitOnStartFailure(COMPONENTS.nodeAgent));
