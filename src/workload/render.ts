import type { Obj } from '../cluster/manifests.ts';
import type { ResolvedScenario } from '../scenario/index.ts';
import { configMap } from '../cluster/manifests.ts';
import { consulConfigMap } from '../components/consul-config.ts';
import { formatGoDuration } from '../util/duration.ts';
import { agentExtraConfig } from './agent-config.ts';
import { runtimeProvider } from '../runtime/index.ts';

export const WORKLOAD_NS = 'devenv';
export const APP_LABEL = 'devenv';
export const GOSSIP_SECRET = 'consul-gossip';

/**
 * The gossip key reaches Consul as a config file, never on its command line (where `ps` on the host shows
 * it) nor in its environment: the Secret is mounted (optional: absent until the remedy creates it), and
 * the start script turns it into {"encrypt": ...} in a config dir with the shell's printf builtin, so the
 * key is in no process's arguments either. The servers and Vault's agent (manifests/) do the same.
 */
export const GOSSIP_MOUNT = { name: 'gossip-key', mountPath: '/consul/gossip', readOnly: true };
export const GOSSIP_VOLUME = { name: 'gossip-key', secret: { secretName: GOSSIP_SECRET, optional: true, defaultMode: 0o400 } };
export const GOSSIP_KEY_TO_CONFIG =
  'if [ -s /consul/gossip/key ]; then (umask 077; printf \'{"encrypt":"%s"}\' "$(cat /consul/gossip/key)" > /tmp/consul-extra/gossip.json); fi';
export const PORTS = { app: 8080, shipper: 9101, metrics: 9102 } as const;

export interface WorkloadInputs {
  scenario: ResolvedScenario;
  images: { apps: string; consul: string };
  kafkaBroker: string;
  /** Consul servers' DNS names the agents retry-join. */
  consulServers: string[];
}

const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });
const env = (o: Record<string, string | number>) => Object.entries(o).map(([name, value]) => ({ name, value: String(value) }));

function shipperEnv(w: WorkloadInputs, scope: 'pod' | 'node') {
  const s = w.scenario.shipper;
  return [
    fieldEnv('POD_NAME', 'metadata.name'),
    fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
    fieldEnv('POD_UID', 'metadata.uid'),
    fieldEnv('NODE_NAME', 'spec.nodeName'),
    ...env({
      SHIPPER_SCOPE: scope,
      SHIPPER_SOURCE: s.source,
      SHIPPER_RETRY_LOG: s.retryLog,
      SHIPPER_MODE: s.mode,
      SHIPPER_NAMESPACES: WORKLOAD_NS,
      SHIPPER_SELECTOR: `app=${APP_LABEL}`,
      APP_CONTAINER: 'app',
      BUFFER_MAX_BYTES: s.bufferMaxBytes,
      BUFFER_MAX_LINES: s.bufferMaxLines,
      RATE_LINES_PER_SEC: s.rateLinesPerSec,
      BATCH_MAX_LINES: s.batchLines,
      BACKOFF_INITIAL_MS: s.backoffInitialMs,
      BACKOFF_MAX_MS: s.backoffMaxMs,
      BACKOFF_JITTER: String(s.backoffJitter),
      KAFKA_BROKERS: w.kafkaBroker,
      SHIPPER_PORT: PORTS.shipper,
      LOG_LEVEL: 'warn',
      ...(s.source === 'docker-api' ? { DOCKER_SOCKET: DOCKER_SOCKET } : {}),
    }),
  ];
}

/** Sidecar: scrapes its own pod. DaemonSet: every app pod on its node, found through the API (the
 *  `log-reader` Role's get/list on pods). Same flush mode either way, so the variants differ only in
 *  where the agent runs. */
function metricsAgent(w: WorkloadInputs, scope: 'pod' | 'node') {
  const s = w.scenario.shipper;
  const targets =
    scope === 'pod'
      ? env({ SCRAPE_URL: `http://127.0.0.1:${PORTS.app}/metrics` })
      : [
          fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
          fieldEnv('NODE_NAME', 'spec.nodeName'),
          ...env({ SCRAPE_DISCOVERY: 'node', SCRAPE_NAMESPACE: WORKLOAD_NS, SCRAPE_SELECTOR: `app=${APP_LABEL}`, SCRAPE_PORT: PORTS.app }),
        ];
  return {
    name: 'metrics-agent',
    image: w.images.apps,
    imagePullPolicy: 'Never',
    command: ['node', '/app/metrics-agent.mjs'],
    env: [
      fieldEnv('POD_NAME', 'metadata.name'),
      ...targets,
      // ratelimited refuses to start without a rate: the agent gets the shipper's.
      ...env({ KAFKA_BROKERS: w.kafkaBroker, SHIPPER_MODE: s.mode, RATE_LINES_PER_SEC: s.rateLinesPerSec, METRICS_AGENT_PORT: PORTS.metrics, LOG_LEVEL: 'warn' }),
    ],
  };
}

function consulAgent(w: WorkloadInputs, registerApp: boolean) {
  const joins = w.consulServers.map((s) => `-retry-join=${s}`).join(' ');
  const service = registerApp
    ? JSON.stringify({ service: { name: APP_LABEL, port: PORTS.app, check: { http: `http://127.0.0.1:${PORTS.app}/healthz`, interval: '10s' } } })
    : '';
  const extra = agentExtraConfig(w.scenario).config;
  // The agent registers as soon as the pod starts, before the app runs: that is how 2019's sidecars behaved.
  const script = [
    'mkdir -p /tmp/consul-extra',
    registerApp ? 'printf "%s" "$SERVICE_JSON" > /tmp/consul-extra/service.json' : '',
    // JSON holds no single quote, so it goes through the shell as it is.
    Object.keys(extra).length ? `printf '%s' '${JSON.stringify(extra)}' > /tmp/consul-extra/scenario.json` : '',
    GOSSIP_KEY_TO_CONFIG,
    `exec consul agent -node="$POD_NAME" -advertise="$POD_IP" -bind=0.0.0.0 -client=127.0.0.1 -data-dir=/tmp/consul-data -config-dir=/consul/config -config-dir=/tmp/consul-extra ${joins}`,
  ]
    .filter(Boolean)
    .join('; ');
  return {
    name: 'consul-agent',
    image: w.images.consul,
    imagePullPolicy: 'Never',
    command: ['sh', '-c', script],
    env: [
      fieldEnv('POD_NAME', 'metadata.name'),
      fieldEnv('POD_IP', 'status.podIP'),
      ...(registerApp ? env({ SERVICE_JSON: service }) : []),
    ],
    volumeMounts: [{ name: 'consul-config', mountPath: '/consul/config' }, GOSSIP_MOUNT],
  };
}

function appContainer(w: WorkloadInputs) {
  const r = w.scenario.workload.resources;
  const resources =
    r === 'none'
      ? undefined
      : {
          requests: Object.fromEntries(Object.entries(r.requests).filter(([, v]) => v !== null)),
          limits: Object.fromEntries(Object.entries(r.limits).filter(([, v]) => v !== null)),
        };
  return {
    name: 'app',
    image: w.images.apps,
    imagePullPolicy: 'Never',
    command: ['node', '/app/devenv.mjs'],
    env: [fieldEnv('POD_NAME', 'metadata.name'), ...env({ LOG_RATE: w.scenario.workload.logRatePerSec, LOG_LINE_BYTES: w.scenario.workload.logLineBytes, APP_PORT: PORTS.app })],
    ports: [{ containerPort: PORTS.app, name: 'http' }],
    readinessProbe: { httpGet: { path: '/healthz', port: PORTS.app }, periodSeconds: 10 },
    ...(resources ? { resources } : {}),
  };
}

// The runtime says where container logs live: under dockershim /var/log/pods holds links into dockerd's
// /var/lib/docker/containers, which must be mounted at the same path for the links to resolve.
const logVolumeName = (dir: string) => dir.replaceAll(/[^a-z0-9]/g, '');
// The docker-api source talks to the node's dockerd, which is root on the node: the socket is mounted
// only into shippers that read through it (the rules refuse that source without Docker nodes).
export const DOCKER_SOCKET = '/var/run/docker.sock';
const usesDockerApi = (w: WorkloadInputs) => w.scenario.shipper.source === 'docker-api';
const logVolumes = (w: WorkloadInputs) => [
  ...runtimeProvider(w.scenario.cluster.runtime).logDirs.map((path) => ({ name: logVolumeName(path), hostPath: { path } })),
  { name: 'shipper-state', emptyDir: {} },
  ...(usesDockerApi(w) ? [{ name: 'docker-sock', hostPath: { path: DOCKER_SOCKET, type: 'Socket' } }] : []),
];
const logMounts = (w: WorkloadInputs) => [
  ...runtimeProvider(w.scenario.cluster.runtime).logDirs.map((path) => ({ name: logVolumeName(path), mountPath: path, readOnly: true })),
  { name: 'shipper-state', mountPath: '/var/lib/shipper' },
  ...(usesDockerApi(w) ? [{ name: 'docker-sock', mountPath: DOCKER_SOCKET }] : []),
];

function rbac(): Obj[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'devenv', namespace: WORKLOAD_NS } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'log-reader', namespace: WORKLOAD_NS },
      rules: [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'log-reader', namespace: WORKLOAD_NS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'log-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'devenv', namespace: WORKLOAD_NS }],
    },
  ];
}

/** The dev-env workload of a scenario: app pods with sidecars (2019), or bare app pods plus per-node agents. */
export function renderWorkload(w: WorkloadInputs): Obj[] {
  const s = w.scenario;
  const sidecar = s.variant === 'sidecar';
  const consulCfg = consulConfigMap({ leaveOnTerminate: s.consul.leaveOnTerminate, reconnectTimeout: formatGoDuration(s.consul.reconnectTimeoutMs) });
  consulCfg.metadata!.namespace = WORKLOAD_NS;
  const podSpec = {
    serviceAccountName: 'devenv',
    terminationGracePeriodSeconds: 10,
    nodeSelector: { 'outage-lab/role': 'worker' },
    containers: sidecar
      ? [
          appContainer(w),
          { name: 'shipper', image: w.images.apps, imagePullPolicy: 'Never', command: ['node', '/app/shipper.mjs'], env: shipperEnv(w, 'pod'), volumeMounts: logMounts(w) },
          metricsAgent(w, 'pod'),
          consulAgent(w, true),
        ]
      : [appContainer(w)],
    volumes: sidecar ? [...logVolumes(w), { name: 'consul-config', configMap: { name: 'consul-config' } }, GOSSIP_VOLUME] : [],
  };
  const objs: Obj[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: WORKLOAD_NS, labels: { 'outage-lab/managed': 'true' } } },
    ...rbac(),
    consulCfg,
    configMap(WORKLOAD_NS, 'scenario', { hash: s.hash, name: s.name }),
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: APP_LABEL, namespace: WORKLOAD_NS, labels: { app: APP_LABEL } },
      spec: {
        replicas: s.perCluster.replicas,
        selector: { matchLabels: { app: APP_LABEL } },
        template: { metadata: { labels: { app: APP_LABEL, 'outage-lab/variant': s.variant } }, spec: podSpec },
      },
    },
  ];
  if (!sidecar) {
    objs.push({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'node-agents', namespace: WORKLOAD_NS, labels: { app: 'node-agents' } },
      spec: {
        selector: { matchLabels: { app: 'node-agents' } },
        template: {
          metadata: { labels: { app: 'node-agents' } },
          spec: {
            serviceAccountName: 'devenv',
            terminationGracePeriodSeconds: 10,
            nodeSelector: { 'outage-lab/role': 'worker' },
            containers: [
              { name: 'shipper', image: w.images.apps, imagePullPolicy: 'Never', command: ['node', '/app/shipper.mjs'], env: shipperEnv(w, 'node'), volumeMounts: logMounts(w) },
              metricsAgent(w, 'node'),
              consulAgent(w, false),
            ],
            volumes: [...logVolumes(w), { name: 'consul-config', configMap: { name: 'consul-config' } }, GOSSIP_VOLUME],
          },
        },
      },
    });
  }
  return objs;
}
