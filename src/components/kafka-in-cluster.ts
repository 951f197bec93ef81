import type * as k8s from '@kubernetes/client-node';
import { loadManifest, type Obj } from '../cluster/manifests.ts';
import { kubeContextName } from '../cluster/settings.ts';
import { LabError } from '../util/errors.ts';
import { waitFor } from '../util/wait.ts';
import { KAFKA_INTERNAL_PORT, kafkaBrokerEnv, LAB_BROKER_EXTRAS, type KafkaDiagnosis, type KafkaEndpoint } from './kafka.ts';

/**
 * Kafka as a StatefulSet inside the cluster (`kafka.placement: in-cluster`), the alternative to the
 * broker beside it. Manifest: manifests/kafka/kafka.yaml; this fills in its environment and finds its pod.
 */
export const KAFKA_NS = 'lab';
export const KAFKA_POD = 'kafka-0';
/** The broker's listener for the host's clients; the replay's cut leaves TCP to it open. */
export const KAFKA_HOST_LISTENER_PORT = 9094;
const DATA_DIR = '/var/lib/kafka/data';

/** Pods bootstrap through the Service; the broker then advertises its pod IP. The host goes through kind's loopback port. */
export function kafkaInClusterEndpoint(hostPort: number): KafkaEndpoint {
  return { internal: `kafka.${KAFKA_NS}.svc.cluster.local:${KAFKA_INTERNAL_PORT}`, external: `127.0.0.1:${hostPort}` };
}

/** The broker's environment: the lab's single-broker settings, advertised as the pod IP (expanded by the kubelet) and the host's port. */
export function kafkaInClusterEnv(hostPort: number): k8s.V1EnvVar[] {
  const env = {
    ...kafkaBrokerEnv({ advertised: `$(POD_IP):${KAFKA_INTERNAL_PORT}`, hostPort, hostListenerPort: KAFKA_HOST_LISTENER_PORT }),
    ...LAB_BROKER_EXTRAS,
    KAFKA_LOG_DIRS: DATA_DIR,
  };
  // POD_IP first: the kubelet expands $(VAR) only from variables defined before it.
  return [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }, ...Object.entries(env).map(([name, value]) => ({ name, value }))];
}

/** The Services and the StatefulSet, images still named logically (resolveImages maps them). */
export function renderKafkaInCluster(hostPort: number): Obj[] {
  const objs = loadManifest('kafka/kafka.yaml');
  const sts = objs.find((o) => o.kind === 'StatefulSet');
  const container = sts?.spec?.template?.spec?.containers?.find((c: { name: string }) => c.name === 'kafka');
  if (!container) throw new LabError('manifests/kafka/kafka.yaml has no StatefulSet with a container named kafka', 'restore the file from git');
  container.env = kafkaInClusterEnv(hostPort);
  return objs;
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: number }).code === 404;
}

/** The broker pod's IP, which the cut drops; read at each cut, since a recreated pod has a new one. */
export async function kafkaPodIp(core: k8s.CoreV1Api): Promise<string> {
  const pod = await core.readNamespacedPod({ name: KAFKA_POD, namespace: KAFKA_NS }).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  const ip = pod?.status?.podIP;
  if (!ip) throw new LabError(`the in-cluster Kafka pod ${KAFKA_NS}/${KAFKA_POD} has no IP (${pod ? pod.status?.phase : 'not found'})`, `kubectl -n ${KAFKA_NS} describe pod ${KAFKA_POD}`);
  return ip;
}

/** Removes the in-cluster broker (switching to the external one) and waits until its pod is gone. */
export async function removeKafkaInCluster(objects: k8s.KubernetesObjectApi, core: k8s.CoreV1Api): Promise<boolean> {
  let removed = false;
  for (const o of renderKafkaInCluster(0)) {
    try {
      await objects.delete({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata!.name!, namespace: o.metadata!.namespace! } });
      removed = true;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  if (!removed) return false;
  await waitFor(
    async () => {
      try {
        await core.readNamespacedPod({ name: KAFKA_POD, namespace: KAFKA_NS });
        return false;
      } catch (err) {
        if (isNotFound(err)) return true;
        throw err;
      }
    },
    { timeoutMs: 2 * 60_000, what: `the in-cluster Kafka pod ${KAFKA_NS}/${KAFKA_POD} to be gone` },
  );
  return true;
}

/** For waitForKafka's error: the pod's last log lines instead of a container's. */
export function inClusterDiagnosis(core: k8s.CoreV1Api, clusterName: string): KafkaDiagnosis {
  return {
    hint: `kubectl --context ${kubeContextName(clusterName)} -n ${KAFKA_NS} logs ${KAFKA_POD}; kubectl --context ${kubeContextName(clusterName)} -n ${KAFKA_NS} describe pod ${KAFKA_POD}`,
    logs: () => core.readNamespacedPodLog({ name: KAFKA_POD, namespace: KAFKA_NS, tailLines: 20 }),
  };
}

/**
 * Waits until the StatefulSet runs its current spec and the pod is ready: after a change (another host
 * port) the old pod must not answer the readiness round trip and then vanish.
 */
export async function waitForKafkaRollout(apps: k8s.AppsV1Api, onStep: (s: string) => void = () => {}): Promise<void> {
  await waitFor(
    async () => {
      const sts = await apps.readNamespacedStatefulSet({ name: 'kafka', namespace: KAFKA_NS });
      const st = sts.status;
      const current = (st?.observedGeneration ?? 0) >= (sts.metadata?.generation ?? 1) && st?.updateRevision === st?.currentRevision;
      onStep(`broker pod ${st?.readyReplicas ?? 0}/1 ready${current ? '' : ', rolling'}`);
      return current && st?.readyReplicas === 1 && st.updatedReplicas === 1;
    },
    { timeoutMs: 4 * 60_000, intervalMs: 2000, what: `the in-cluster Kafka pod ${KAFKA_NS}/${KAFKA_POD} to be ready`, hint: `kubectl -n ${KAFKA_NS} describe pod ${KAFKA_POD}; kubectl -n ${KAFKA_NS} logs ${KAFKA_POD}` },
  );
}
