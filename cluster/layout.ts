// Where a local cluster keeps its files, and how each control-plane process is invoked. Pure: the
// same layout in gives the same command lines out, so the flags are unit-tested without starting anything.
import { join } from 'node:path';
import {
  ADMIN_CERT,
  APISERVER_CERT,
  CONTROLLER_MANAGER_CERT,
  FRONT_PROXY_CLIENT_CERT,
  FRONT_PROXY_CLIENT_CN,
  SCHEDULER_CERT,
  SERVICE_CLUSTER_IP_RANGE,
  nodeCertName,
} from './pki.js';

export type StatePaths = Readonly<{
  root: string;
  clusterJson: string;
  pki: string;
  etcdData: string;
  logs: string;
  pids: string;
  kubeconfigs: string;
  adminKubeconfig: string;
  controllerManagerKubeconfig: string;
  schedulerKubeconfig: string;
  haproxyConfig: string;
  registryConfig: string;
  registryData: string;
  nodes: string;
}>;

/** The files of a cluster whose state lives in `root`. */
export function statePaths(root: string): StatePaths {
  const kubeconfigs = join(root, 'kubeconfigs');
  return {
    root,
    clusterJson: join(root, 'cluster.json'),
    pki: join(root, 'pki'),
    etcdData: join(root, 'etcd'),
    logs: join(root, 'logs'),
    pids: join(root, 'pids'),
    kubeconfigs,
    adminKubeconfig: join(kubeconfigs, 'admin.kubeconfig'),
    controllerManagerKubeconfig: join(kubeconfigs, 'kube-controller-manager.kubeconfig'),
    schedulerKubeconfig: join(kubeconfigs, 'kube-scheduler.kubeconfig'),
    haproxyConfig: join(root, 'haproxy.cfg'),
    registryConfig: join(root, 'registry.yml'),
    registryData: join(root, 'registry'),
    nodes: join(root, 'nodes'),
  };
}

export type NodePaths = Readonly<{
  stateDir: string;
  kubeconfig: string;
  handlerRunDir: string;
  /** The handler's containerDisk cache: one per node and cluster, so test clusters never share one. */
  imageCacheDir: string;
}>;

export function nodePaths(paths: StatePaths, node: string): NodePaths {
  const stateDir = join(paths.nodes, node);
  return {
    stateDir,
    kubeconfig: join(stateDir, 'kubeconfig'),
    handlerRunDir: join(stateDir, 'handler'),
    imageCacheDir: join(stateDir, 'containerdisks'),
  };
}

export type Ports = Readonly<{
  etcdClient: number;
  etcdPeer: number;
  /** One per kube-apiserver; two or more with --ha. */
  apiservers: readonly number[];
  /** HAProxy's frontend: the one stable address with --ha. */
  haproxy?: number;
  /** The local OCI registry (plain HTTP on loopback), when Debian's docker-registry is installed. */
  registry?: number;
  controllerManager: number;
  scheduler: number;
}>;

export type Layout = Readonly<{
  paths: StatePaths;
  binDir: string;
  ports: Ports;
  /**
   * Real kubelet nodes: Pods on a real Pod network, so the aggregator reaches virt-api at its
   * endpoints and the controller-manager keeps EndpointSlices.
   */
  podNetwork?: boolean;
}>;

export type Command = Readonly<{ name: string; command: string; args: readonly string[] }>;

/** The address every client uses: HAProxy's with --ha, else the one API server's. */
export function serverUrl(ports: Ports): string {
  const port = ports.haproxy ?? ports.apiservers[0];
  if (port === undefined) throw new Error('A cluster needs at least one kube-apiserver port');
  return `https://127.0.0.1:${port}`;
}

const pem = (paths: StatePaths, name: string, ext: 'crt' | 'key'): string => join(paths.pki, `${name}.${ext}`);

export const etcdUrl = (ports: Ports): string => `http://127.0.0.1:${ports.etcdClient}`;

export function etcdCommand(layout: Layout): Command {
  const client = etcdUrl(layout.ports);
  const peer = `http://127.0.0.1:${layout.ports.etcdPeer}`;
  return {
    name: 'etcd',
    command: join(layout.binDir, 'etcd'),
    args: [
      '--name=default',
      `--data-dir=${layout.paths.etcdData}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=default=${peer}`,
      // A throwaway single-member cluster on loopback: losing the last writes on a power cut is
      // fine, waiting for fsync on every write is not (it dominates bulk VM creation).
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ],
  };
}

export function apiserverCommand(layout: Layout, index: number): Command {
  const { paths, ports } = layout;
  const port = ports.apiservers[index];
  if (port === undefined) throw new Error(`No port for kube-apiserver ${index}`);
  return {
    name: `kube-apiserver-${index}`,
    command: join(layout.binDir, 'kube-apiserver'),
    args: [
      `--etcd-servers=${etcdUrl(ports)}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${paths.pki}`,
      `--tls-cert-file=${pem(paths, APISERVER_CERT, 'crt')}`,
      `--tls-private-key-file=${pem(paths, APISERVER_CERT, 'key')}`,
      `--client-ca-file=${join(paths.pki, 'ca.crt')}`,
      '--authorization-mode=Node,RBAC',
      // Nodes (our agents hold system:node identities) may touch only their own Node and Pods.
      '--enable-admission-plugins=NodeRestriction',
      '--allow-privileged=true',
      `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
      `--service-account-key-file=${join(paths.pki, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(paths.pki, 'sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      // The front proxy: how the aggregator authenticates itself to virt-api (aggregated API).
      `--requestheader-client-ca-file=${join(paths.pki, 'front-proxy-ca.crt')}`,
      `--requestheader-allowed-names=${FRONT_PROXY_CLIENT_CN}`,
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--proxy-client-cert-file=${pem(paths, FRONT_PROXY_CLIENT_CERT, 'crt')}`,
      `--proxy-client-key-file=${pem(paths, FRONT_PROXY_CLIENT_CERT, 'key')}`,
      // Aggregated APIs (virt-api) are reached through an ExternalName Service (externalName:
      // localhost): there is no Service network here, and Endpoints may not hold loopback
      // addresses, so endpoint routing (--enable-aggregator-routing=true) could not reach a local
      // process. Cluster routing resolves an ExternalName Service to https://<name>:<port>.
      // With real kubelet nodes virt-api runs in Pods whose IPs this machine routes to, so the
      // aggregator dials their endpoints, as on any cluster without a Service proxy.
      `--enable-aggregator-routing=${layout.podNetwork === true}`,
      // logs, exec and port-forward through real kubelets; their webhook authorizer asks the API.
      ...(layout.podNetwork === true
        ? [
            '--kubelet-preferred-address-types=InternalIP',
            `--kubelet-client-certificate=${pem(paths, ADMIN_CERT, 'crt')}`,
            `--kubelet-client-key=${pem(paths, ADMIN_CERT, 'key')}`,
          ]
        : []),
      // Every API server advertises 127.0.0.1; with several, the default lease reconciler would
      // rewrite the kubernetes Service's endpoints back and forth, and nothing here routes to it.
      '--endpoint-reconciler-type=none',
      '--profiling=false',
    ],
  };
}

/** --controllers: what tsvirt relies on, nothing for workloads it never runs locally. */
export const CONTROLLERS = [
  'garbage-collector-controller', // ownerReferences: VM → VMI → launcher Pod
  'namespace-controller', // deleting a test namespace deletes its objects
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
  'node-lifecycle-controller', // a node whose agent stopped goes NotReady and gets tainted
  'taint-eviction-controller',
  'pod-garbage-collector-controller', // Pods bound to deleted nodes
  'clusterrole-aggregation-controller', // tsvirt's roles aggregate into admin/edit/view
] as const;

/**
 * With real kubelet nodes tsvirt runs from manifests/: its Deployments and DaemonSet need their
 * controllers, and the aggregator reaches virt-api at the endpoints of its Service.
 */
export const POD_NETWORK_CONTROLLERS = [
  'deployment-controller',
  'replicaset-controller',
  'daemonset-controller',
  'endpoints-controller',
  'endpointslice-controller',
] as const;

function componentAuthArgs(kubeconfig: string, port: number): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    // No --authentication/authorization-kubeconfig: with them the process exits when it starts
    // before the API server has bootstrapped RBAC, and starting early saves seconds. Without
    // them only /healthz, /readyz and /livez are served, which is all we read.
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    '--leader-elect=true',
    '--profiling=false',
  ];
}

export function controllerManagerCommand(layout: Layout): Command {
  const { paths, ports } = layout;
  return {
    name: 'kube-controller-manager',
    command: join(layout.binDir, 'kube-controller-manager'),
    args: [
      ...componentAuthArgs(paths.controllerManagerKubeconfig, ports.controllerManager),
      `--cert-dir=${join(paths.pki, 'kube-controller-manager-serving')}`,
      `--controllers=${[...CONTROLLERS, ...(layout.podNetwork === true ? POD_NETWORK_CONTROLLERS : [])].join(',')}`,
      `--service-account-private-key-file=${join(paths.pki, 'sa.key')}`,
      `--root-ca-file=${join(paths.pki, 'ca.crt')}`,
      '--use-service-account-credentials=true',
      `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
    ],
  };
}

export function schedulerCommand(layout: Layout): Command {
  const { paths, ports } = layout;
  return {
    name: 'kube-scheduler',
    command: join(layout.binDir, 'kube-scheduler'),
    args: componentAuthArgs(paths.schedulerKubeconfig, ports.scheduler),
  };
}

/** HAProxy in TCP mode (TLS passes through to the API servers), checking each one's /readyz. */
export function haproxyConfig(ports: Ports): string {
  if (ports.haproxy === undefined) throw new Error('No HAProxy port in this layout');
  return [
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode tcp',
    '  timeout connect 2s',
    // Watches are long-lived connections.
    '  timeout client 1h',
    '  timeout server 1h',
    // A refused connection (an API server just died, before its health check notices) is
    // retried on another server, so losing one API server interrupts nobody.
    '  retries 3',
    '  option redispatch',
    'frontend kube-apiserver',
    `  bind 127.0.0.1:${ports.haproxy}`,
    '  default_backend kube-apiservers',
    'backend kube-apiservers',
    '  balance roundrobin',
    '  option httpchk GET /readyz',
    '  http-check expect status 200',
    '  default-server check check-ssl verify none inter 1s fall 2 rise 1',
    ...ports.apiservers.map((p, i) => `  server kube-apiserver-${i} 127.0.0.1:${p}`),
    '',
  ].join('\n');
}

export function haproxyCommand(layout: Layout, haproxyBin: string): Command {
  // -db: stay in the foreground, so the pid we record is HAProxy's.
  return { name: 'haproxy', command: haproxyBin, args: ['-db', '-f', layout.paths.haproxyConfig] };
}

/**
 * The distribution registry (Debian's docker-registry) on loopback, plain HTTP, storing under the
 * state folder; deletes allowed so tests can remove what they pushed.
 */
export function registryConfig(paths: StatePaths, port: number): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${paths.registryData}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '',
  ].join('\n');
}

export function registryCommand(layout: Layout, registryBin: string): Command {
  return { name: 'registry', command: registryBin, args: ['serve', layout.paths.registryConfig] };
}

export type NodeResources = Readonly<{ cpu: string; memory: string; pods: string }>;
export const DEFAULT_NODE_RESOURCES: NodeResources = { cpu: '2', memory: '8Gi', pods: '110' };

/** The node agent of one simulated node (cluster/agent/main.ts, bundled to dist/node-agent.js). */
export function nodeAgentCommand(repoRoot: string, paths: StatePaths, node: string, resources: NodeResources): Command {
  const np = nodePaths(paths, node);
  return {
    name: `node-agent-${node}`,
    command: join(repoRoot, 'node_modules', '.bin', 'node'),
    args: [
      join(repoRoot, 'dist', 'node-agent.js'),
      `--kubeconfig=${np.kubeconfig}`,
      `--node-name=${node}`,
      `--state-dir=${np.stateDir}`,
      `--cpu=${resources.cpu}`,
      `--memory=${resources.memory}`,
      `--pods=${resources.pods}`,
      `--handler-run-dir=${np.handlerRunDir}`,
    ],
  };
}

/** The kubeconfigs to write: file, identity (certificate stem) and name. */
export function kubeconfigSpecs(
  paths: StatePaths,
  nodes: readonly string[],
): { path: string; cert: string; name: string }[] {
  return [
    { path: paths.adminKubeconfig, cert: ADMIN_CERT, name: 'tsvirt-local' },
    { path: paths.controllerManagerKubeconfig, cert: CONTROLLER_MANAGER_CERT, name: 'kube-controller-manager' },
    { path: paths.schedulerKubeconfig, cert: SCHEDULER_CERT, name: 'kube-scheduler' },
    ...nodes.map((n) => ({ path: nodePaths(paths, n).kubeconfig, cert: nodeCertName(n), name: n })),
  ];
}

/** node-1 … node-N, the names `--nodes N` gives. */
export const nodeNames = (count: number): string[] => Array.from({ length: count }, (_, i) => `node-${i + 1}`);
