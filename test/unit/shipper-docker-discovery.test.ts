// Which containers the docker-api source asks dockerd for (label filters), which of the answers it
// follows, the selector it can express as Docker filters, and the shipper's environment for it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shipperConfig } from '../../src/apps/shipper/config.ts';
import { containerQueries, LABELS, podUids, sandboxQueries, selectorTerms, toTargets, type ContainerSummary, type DockerDiscoveryConfig } from '../../src/apps/shipper/docker-discovery.ts';
import { createSelection } from '../../src/apps/shipper/selection.ts';

/** The label filters a list path carries. */
const filters = (path: string): string[] => {
  const u = new URL(path, 'http://docker');
  assert.equal(u.pathname, '/containers/json');
  assert.equal(u.searchParams.has('all'), false, 'running containers only');
  return (JSON.parse(u.searchParams.get('filters')!) as { label: string[] }).label.sort();
};

const pod: DockerDiscoveryConfig = { scope: 'pod', self: { namespace: 'devenv', pod: 'app-1', uid: 'u1' }, namespaces: [], containers: ['app'], selector: [] };
const node: DockerDiscoveryConfig = { scope: 'node', self: { namespace: 'devenv', pod: 'agents-x', uid: 'ux' }, namespaces: ['devenv', 'tools'], containers: ['app'], selector: ['app=devenv'] };

describe('docker-api discovery filters', () => {
  it('sidecar: its own pod by namespace, name and uid, the one container it ships, app containers only', () => {
    assert.deepEqual(containerQueries(pod).map(filters), [
      ['io.kubernetes.container.name=app', 'io.kubernetes.docker.type=container', 'io.kubernetes.pod.name=app-1', 'io.kubernetes.pod.namespace=devenv', 'io.kubernetes.pod.uid=u1'],
    ]);
    // Several container names cannot be ORed in a filter: the selection picks them from the pod's list.
    assert.deepEqual(containerQueries({ ...pod, containers: ['app', 'sidecar'], self: { ...pod.self, uid: undefined } }).map(filters), [
      ['io.kubernetes.docker.type=container', 'io.kubernetes.pod.name=app-1', 'io.kubernetes.pod.namespace=devenv'],
    ]);
    assert.equal(sandboxQueries(pod), null);
  });

  it('DaemonSet: one list per namespace (filters AND), sandboxes by the pod labels', () => {
    assert.deepEqual(containerQueries(node).map(filters), [
      ['io.kubernetes.docker.type=container', 'io.kubernetes.pod.namespace=devenv'],
      ['io.kubernetes.docker.type=container', 'io.kubernetes.pod.namespace=tools'],
    ]);
    assert.deepEqual(sandboxQueries(node)!.map(filters), [
      ['app=devenv', 'io.kubernetes.docker.type=podsandbox', 'io.kubernetes.pod.namespace=devenv'],
      ['app=devenv', 'io.kubernetes.docker.type=podsandbox', 'io.kubernetes.pod.namespace=tools'],
    ]);
    assert.deepEqual(containerQueries({ ...node, namespaces: [] }).map(filters), [['io.kubernetes.docker.type=container']]);
    assert.equal(sandboxQueries({ ...node, selector: [] }), null);
  });
});

describe('docker-api targets', () => {
  const c = (id: string, ns: string, p: string, uid: string, container: string, type = 'container'): ContainerSummary => ({
    Id: id.repeat(64),
    Labels: { [LABELS.namespace]: ns, [LABELS.pod]: p, [LABELS.uid]: uid, [LABELS.container]: container, [LABELS.type]: type },
  });
  const listed = [
    c('1', 'devenv', 'app-1', 'u1', 'app'),
    c('2', 'devenv', 'app-1', 'u1', 'shipper'),
    c('3', 'devenv', 'app-1', 'u1', 'POD', 'podsandbox'),
    c('4', 'devenv', 'agents-x', 'ux', 'app'),
    c('5', 'devenv', 'app-2', 'u2', 'app'),
    c('6', 'devenv', 'app-3', 'u3', 'app'),
    { Id: '7'.repeat(64), Labels: null },
    { Id: 'not-an-id', Labels: c('8', 'devenv', 'app-1', 'u1', 'app').Labels },
  ];

  it('node scope: selected containers of selected pods, never the shipper\'s own pod, keyed by pod, one id per Docker container', () => {
    const selection = createSelection({ scope: 'node', self: { namespace: 'devenv', pod: 'agents-x', uid: 'ux' }, namespaces: ['devenv'], containers: ['app'], podPattern: undefined });
    const all = toTargets(listed, selection, null);
    assert.deepEqual(all.map((t) => t.id), ['devenv/app-1/u1/app/111111111111', 'devenv/app-2/u2/app/555555555555', 'devenv/app-3/u3/app/666666666666']);
    assert.deepEqual(all.map((t) => [t.key, t.container, t.containerId.length]), [['app-1', 'app', 64], ['app-2', 'app', 64], ['app-3', 'app', 64]]);
    // Every container ('*') is every app container: a pod's sandbox (pause) writes no log worth shipping.
    const star = createSelection({ scope: 'node', self: { namespace: 'devenv', pod: 'agents-x', uid: 'ux' }, namespaces: ['devenv'], containers: ['*'], podPattern: undefined });
    assert.deepEqual(toTargets(listed, star, null).filter((t) => t.pod === 'app-1').map((t) => t.container), ['app', 'shipper']);
    // The selector answered by sandboxes: only their pods' containers.
    assert.deepEqual(toTargets(listed, selection, new Set(['u1', 'u3'])).map((t) => t.pod), ['app-1', 'app-3']);
    assert.deepEqual(podUids([c('a', 'devenv', 'app-1', 'u1', 'POD', 'podsandbox'), { Id: 'b', Labels: {} }]), new Set(['u1']));
  });

  it('pod scope: only its own pod, and a pod of the same name with another uid is not it', () => {
    const selection = createSelection({ scope: 'pod', self: { namespace: 'devenv', pod: 'app-1', uid: 'u1' }, namespaces: [], containers: ['app'], podPattern: undefined });
    assert.deepEqual(toTargets([...listed, c('9', 'devenv', 'app-1', 'old-uid', 'app')], selection, null).map((t) => t.id), ['devenv/app-1/u1/app/111111111111']);
  });
});

describe('docker-api configuration', () => {
  const base = { POD_NAME: 'p', POD_NAMESPACE: 'devenv', SHIPPER_SOURCE: 'docker-api' };

  it('takes the source, its socket and bounds, and needs no NODE_NAME at node scope', () => {
    const c = shipperConfig(base);
    assert.equal(c.source, 'docker-api');
    assert.deepEqual(c.docker, { socket: '/var/run/docker.sock', timeoutMs: 15_000, reconnectMs: 1_000, idleMs: 60_000, selector: [] });
    const n = shipperConfig({ SHIPPER_SOURCE: 'docker-api', SHIPPER_SCOPE: 'node', SHIPPER_SELECTOR: 'app=devenv, tier==web,canary', DOCKER_SOCKET: '/run/d.sock', DOCKER_TIMEOUT_MS: '500' });
    assert.deepEqual(n.docker.selector, ['app=devenv', 'tier=web', 'canary']);
    assert.equal(n.docker.socket, '/run/d.sock');
    assert.equal(n.docker.timeoutMs, 500);
    assert.throws(() => shipperConfig({ ...base, SHIPPER_SOURCE: 'docker' }), /SHIPPER_SOURCE="docker" is not one of file, kubelet-api, docker-api/);
  });

  it('refuses selectors Docker filters cannot express, and no stream at all', () => {
    for (const bad of ['app!=x', 'env in (a,b)', '!canary', 'a=b=c']) {
      assert.throws(() => shipperConfig({ ...base, SHIPPER_SCOPE: 'node', SHIPPER_SELECTOR: bad }), /SHIPPER_SELECTOR: selector term/, bad);
    }
    assert.deepEqual(selectorTerms(undefined), []);
    // The kubelet-api source passes selectors to the API server, which takes them all.
    assert.equal(shipperConfig({ ...base, SHIPPER_SOURCE: 'kubelet-api', SHIPPER_SCOPE: 'node', NODE_NAME: 'n', SHIPPER_SELECTOR: 'app!=x' }).labelSelector, 'app!=x');
    assert.throws(() => shipperConfig({ ...base, SHIPPER_STREAMS: ',' }), /SHIPPER_STREAMS names no stream/);
  });

  it('retry log: every by default, throttled or off when asked, nothing else', () => {
    assert.equal(shipperConfig(base).retryLog, 'every');
    assert.equal(shipperConfig({ ...base, SHIPPER_RETRY_LOG: 'throttled' }).retryLog, 'throttled');
    assert.equal(shipperConfig({ ...base, SHIPPER_RETRY_LOG: 'off' }).retryLog, 'off');
    assert.throws(() => shipperConfig({ ...base, SHIPPER_RETRY_LOG: 'all' }), /SHIPPER_RETRY_LOG="all" is not one of every, throttled, off/);
  });
});
