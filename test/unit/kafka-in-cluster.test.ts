import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KAFKA_HOST_LISTENER_PORT, kafkaInClusterEndpoint, renderKafkaInCluster } from '../../src/components/kafka-in-cluster.ts';
import { resolveImages } from '../../src/cluster/manifests.ts';
import { bindsPort, kindConfig } from '../../src/cluster/kind.ts';
import { DEFAULT_CLUSTER, NODE_PORTS, withEnvPorts } from '../../src/cluster/settings.ts';
import { normaliseState } from '../../src/cluster/state.ts';
import { cutRules } from '../../src/faults/kafka-network.ts';

const render = (hostPort = 19094) => {
  const objs = renderKafkaInCluster(hostPort);
  const sts = objs.find((o) => o.kind === 'StatefulSet')!;
  const spec = sts.spec.template.spec;
  const kafka = spec.containers.find((c: any) => c.name === 'kafka');
  const env = Object.fromEntries(kafka.env.filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));
  return { objs, sts, spec, kafka, env };
};

test('in-cluster Kafka: two listeners, pods get the pod IP, the host gets its loopback port', () => {
  const { kafka, env } = render(19094);
  assert.deepEqual(kafka.env[0], { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }, 'POD_IP comes first so $(POD_IP) expands');
  assert.equal(env.KAFKA_ADVERTISED_LISTENERS, 'INTERNAL://$(POD_IP):9092,EXTERNAL://127.0.0.1:19094');
  assert.equal(env.KAFKA_LISTENERS, `INTERNAL://0.0.0.0:9092,EXTERNAL://0.0.0.0:${KAFKA_HOST_LISTENER_PORT},CONTROLLER://0.0.0.0:9093`);
  assert.equal(env.KAFKA_INTER_BROKER_LISTENER_NAME, 'INTERNAL');
  assert.equal(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR, '1');
  assert.equal(env.KAFKA_LOG_DIRS, '/var/lib/kafka/data');
  assert.ok(kafka.volumeMounts.some((m: any) => m.mountPath === env.KAFKA_LOG_DIRS), 'the log dir is the mounted volume');
  // Another host port changes only what is advertised to the host.
  assert.equal(render(20000).env.KAFKA_ADVERTISED_LISTENERS, 'INTERNAL://$(POD_IP):9092,EXTERNAL://127.0.0.1:20000');
  assert.deepEqual(kafkaInClusterEndpoint(19094), { internal: 'kafka.lab.svc.cluster.local:9092', external: '127.0.0.1:19094' });
});

test('in-cluster Kafka: ports, Services and probe agree with the settings and the cut', () => {
  const { objs, spec, kafka } = render();
  for (const o of objs) assert.equal(o.metadata?.namespace, 'lab');
  const port = (name: string) => kafka.ports.find((p: any) => p.name === name)?.containerPort;
  assert.equal(port('internal'), 9092);
  assert.equal(port('host'), KAFKA_HOST_LISTENER_PORT);
  const host = objs.find((o) => o.kind === 'Service' && o.spec.type === 'NodePort')!;
  assert.equal(host.spec.ports[0].nodePort, NODE_PORTS.kafka, 'the NodePort kind forwards the host port to');
  assert.equal(host.spec.ports[0].targetPort, 'host');
  const boot = objs.find((o) => o.kind === 'Service' && o.metadata?.name === 'kafka')!;
  assert.equal(boot.spec.type, undefined, 'the pods bootstrap through a ClusterIP Service');
  assert.equal(boot.spec.ports[0].targetPort, 'internal');
  // Probed on the listener the cut leaves open: a cut must not make the broker NotReady.
  assert.equal(kafka.readinessProbe.tcpSocket.port, 'host');
  assert.equal(spec.enableServiceLinks, false);
  assert.deepEqual(spec.nodeSelector, { 'node-role.kubernetes.io/control-plane': '' });
  assert.ok(spec.tolerations.some((t: any) => t.key === 'node-role.kubernetes.io/control-plane'));
  const resolved = resolveImages(objs, { kafka: 'outage-lab/kafka:abc' });
  const c = resolved.find((o) => o.kind === 'StatefulSet')!.spec.template.spec.containers[0];
  assert.equal(c.image, 'outage-lab/kafka:abc');
  assert.equal(c.imagePullPolicy, 'Never');
});

test('kind forwards the in-cluster Kafka host port from the start, and a cluster without it is recognised', () => {
  const cfg = kindConfig(DEFAULT_CLUSTER, 'node:1', false, 24 * 1024 ** 3) as any;
  assert.deepEqual(cfg.nodes[0].extraPortMappings.at(-1), { containerPort: NODE_PORTS.kafka, hostPort: DEFAULT_CLUSTER.kafkaInClusterHostPort, listenAddress: '127.0.0.1' });
  const bindings = JSON.stringify({ '30850/tcp': [{ HostIp: '127.0.0.1', HostPort: '18500' }], '30992/tcp': [{ HostIp: '127.0.0.1', HostPort: '19094' }] });
  assert.equal(bindsPort(bindings, 30992, 19094), true);
  assert.equal(bindsPort(bindings, 30992, 19095), false, 'another port wanted');
  assert.equal(bindsPort(JSON.stringify({ '30850/tcp': [{ HostIp: '127.0.0.1', HostPort: '18500' }] }), 30992, 19094), false, 'an older cluster');
  assert.equal(bindsPort('', 30992, 19094), false, 'no such container');
  assert.equal(bindsPort('null', 30992, 19094), false);
});

test('the external cut is the rule it always was; the in-cluster cut spares only TCP to the host listener', () => {
  const base = { nodes: ['n1'], kafkaIp: '10.213.0.10', comment: 'c' };
  assert.deepEqual(cutRules(base), [
    ['FORWARD', '-d', '10.213.0.10/32', '-m', 'comment', '--comment', 'c', '-j', 'DROP'],
    ['OUTPUT', '-d', '10.213.0.10/32', '-m', 'comment', '--comment', 'c', '-j', 'DROP'],
  ]);
  const inCluster = cutRules({ ...base, kafkaIp: '10.244.0.7', keepTcpPort: 9094 });
  assert.deepEqual(inCluster, [
    ['FORWARD', '-d', '10.244.0.7/32', '-p', 'tcp', '!', '--dport', '9094', '-m', 'comment', '--comment', 'c', '-j', 'DROP'],
    ['FORWARD', '-d', '10.244.0.7/32', '!', '-p', 'tcp', '-m', 'comment', '--comment', 'c', '-j', 'DROP'],
    ['OUTPUT', '-d', '10.244.0.7/32', '-p', 'tcp', '!', '--dport', '9094', '-m', 'comment', '--comment', 'c', '-j', 'DROP'],
    ['OUTPUT', '-d', '10.244.0.7/32', '!', '-p', 'tcp', '-m', 'comment', '--comment', 'c', '-j', 'DROP'],
  ]);
  assert.ok(inCluster.every((r) => r.includes('DROP') && r.includes('c')), 'every rule is marked, so heal finds each');
});

test('state of an older lab reads as external Kafka with default ports filled in', () => {
  const { kafkaInClusterHostPort: _, ...oldSettings } = DEFAULT_CLUSTER;
  const s = normaliseState({ settings: oldSettings as typeof DEFAULT_CLUSTER, images: {}, kafka: { internal: '10.213.0.10:9092', external: '127.0.0.1:19092' }, dcSubnet: '10.213.0.0/24', upAt: 'x' });
  assert.equal(s.kafkaPlacement, 'external');
  assert.equal(s.settings.kafkaInClusterHostPort, 19094);
  assert.equal(normaliseState({ ...s, kafkaPlacement: 'in-cluster' }).kafkaPlacement, 'in-cluster');
});

test('LAB_KAFKA_IN_CLUSTER_PORT moves the in-cluster host port', () => {
  const before = process.env.LAB_KAFKA_IN_CLUSTER_PORT;
  process.env.LAB_KAFKA_IN_CLUSTER_PORT = '29094';
  try {
    assert.equal(withEnvPorts(DEFAULT_CLUSTER).kafkaInClusterHostPort, 29094);
  } finally {
    if (before === undefined) delete process.env.LAB_KAFKA_IN_CLUSTER_PORT;
    else process.env.LAB_KAFKA_IN_CLUSTER_PORT = before;
  }
});
