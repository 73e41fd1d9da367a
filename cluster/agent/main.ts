// tsvirt's local node agent (dist/node-agent.js): plays the kubelet for launcher Pods on one
// simulated node. Flags in flags.ts; the Node and Lease in node-heartbeat.ts; Pods in pod-agent.ts.
import { mkdir } from 'node:fs/promises';
import { pino } from 'pino';
import { COMPONENTS } from '../../api/names.js';
import { RECONNECT_BACKOFF, backoffDelay, sleep } from '../../kube/backoff.js';
import { createKubeClients } from '../../kube/clients.js';
import { loadKubeConfig } from '../../kube/config.js';
import { toApiError } from '../../kube/errors.js';
import type { KubeLogger } from '../../kube/logger.js';
import { AGENT_USAGE, FlagError, parseAgentFlags, type AgentFlags } from './flags.js';
import { NodeHeartbeat } from './node-heartbeat.js';
import { PodAgent } from './pod-agent.js';
import { PodProcesses } from './pod-processes.js';

function flagsOrExit(): AgentFlags {
  try {
    return parseAgentFlags(process.argv.slice(2), process.env);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    process.stderr.write(`node-agent: ${e.message}\n${AGENT_USAGE}\n`);
    process.exit(2);
  }
}

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
  const flags = flagsOrExit();
  const log = pino({ level: flags.logLevel, base: { component: COMPONENTS.nodeAgent, node: flags.nodeName } });
  const stop = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => stop.abort());

  await mkdir(flags.stateDir, { recursive: true });
  await mkdir(flags.handlerRunDir, { recursive: true });
  const clients = createKubeClients(await loadKubeConfig({ kubeconfig: flags.kubeconfig }), {
    userAgent: `${COMPONENTS.nodeAgent}/${flags.nodeName}`,
  });
  // Process exits arrive only after recover() below, when `agent` exists.
  const processes = new PodProcesses(flags.stateDir, log, (uid) => agent.processChanged(uid));
  const agent = new PodAgent(clients, processes, { nodeName: flags.nodeName, handlerRunDir: flags.handlerRunDir, log });
  const heartbeat = new NodeHeartbeat(clients, flags.nodeName, flags, {
    log,
    statusReportMs: flags.nodeStatusReportSeconds * 1000,
  });

  await processes.recover();
  if (await registerWithRetry(heartbeat, log, stop.signal)) {
    heartbeat.start();
    if (await agent.start(stop.signal)) log.info({ stateDir: flags.stateDir }, 'Node agent started');
  }
  await new Promise<void>((resolve) => {
    if (stop.signal.aborted) resolve();
    else stop.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  // Like a kubelet restart: launcher processes keep running and are adopted by the next agent.
  await Promise.all([agent.stop(), heartbeat.stop()]);
  processes.close();
  log.info({}, 'Node agent stopped');
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`node-agent: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
