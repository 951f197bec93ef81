// The LB tier on real containers: a Consul server, "pods" made of a Consul agent and the lab's dev-env
// app sharing its network namespace (as a sidecar pod does), and the lab's LB image (consul-template
// rendering HAProxy from Consul's health catalog). Traffic goes through the real load generator.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Container, DockerScope, forHttp, forLog, SCOPE_LABEL, until } from '../../src/docker/containers.ts';
import { docker } from '../../src/docker/cli.ts';
import { imageRef } from '../../src/images/catalog.ts';
import { LB_PORTS, lbContainerSpec } from '../../src/lb/container.ts';
import { readLb, serverNode } from '../../src/lb/read.ts';
import { classify } from '../../src/traffic/classify.ts';
import { oneRequest, runLoad } from '../../src/traffic/loadgen.ts';
import type { TrafficSecond } from '../../src/traffic/seconds.ts';

const SERVICE = 'devenv';
/** Registration to first routed request; the check interval is 1 s, consul-template waits for no quiescence. */
const ROUTE_BOUND_MS = 10_000;
/** Deregistration (or a failing check synced to the servers) to the server leaving HAProxy. */
const LEAVE_BOUND_MS = 15_000;
/** How long Consul hangs in the stale test. */
const HANG_MS = 8_000;
/**
 * Above HAProxy's cost of a dead server: 3 retries, each after a turn-around of min(timeout connect, 1 s),
 * so a request routed to a refused server answers 503 after about 3 s. A shorter client timeout turns
 * the same stale config into timeouts (seen: 3 s gave "timeout").
 */
const CLIENT_TIMEOUT_MS = 6_000;

interface Pod {
  name: string;
  agent: Container;
  app: Container;
}

describe('lb tier: consul-template + HAProxy generated from Consul', { timeout: 300_000 }, () => {
  const scope = new DockerScope('lb');
  let consulImage: string;
  let appsImage: string;
  let server: Container;
  let lb: Container;
  const pods = new Map<string, Pod>();
  let lbUrl: URL;
  let statsBase: string;

  const request = async () => {
    const out = await oneRequest(lbUrl, SERVICE, CLIENT_TIMEOUT_MS);
    return { out, verdict: classify(out), node: out.kind === 'response' ? serverNode(out.lbServer) : '' };
  };
  const listed = async () => {
    const v = await readLb(statsBase, SERVICE);
    if (v.error) throw new Error(v.error);
    return (v.servers ?? []).map((s) => serverNode(s.name)).sort();
  };

  async function startPod(name: string): Promise<Pod> {
    const agent = await scope.run({
      name,
      image: consulImage,
      args: ['agent', `-node=${name}`, '-data-dir=/consul/data', '-client=0.0.0.0', '-retry-join=consul-server'],
      ports: [8500],
      waitFor: forLog(/Consul agent running!/),
    });
    // The app joins the agent's network namespace: 127.0.0.1:8080 is the app for the agent's check, as in a pod.
    const app = await Container.run({
      name: `${agent.name}-app`,
      image: appsImage,
      args: ['node', '/app/devenv.mjs'],
      env: { POD_NAME: name, APP_PORT: '8080', LOG_RATE: '0' },
      labels: { [SCOPE_LABEL]: scope.id },
      runArgs: ['--network', `container:${agent.name}`],
    });
    const pod = { name, agent, app };
    pods.set(name, pod);
    return pod;
  }

  async function agentApi(pod: Pod, path: string, body?: unknown): Promise<void> {
    const res = await fetch(`http://127.0.0.1:${pod.agent.hostPort(8500)}${path}`, { method: 'PUT', body: body === undefined ? undefined : JSON.stringify(body) });
    assert.equal(res.status, 200, `PUT ${path}: ${await res.text()}`);
  }
  // The registration the lab's sidecar agents make (src/workload/render.ts): address = the agent's own.
  const register = (pod: Pod) =>
    agentApi(pod, '/v1/agent/service/register', { ID: SERVICE, Name: SERVICE, Port: 8080, Check: { HTTP: 'http://127.0.0.1:8080/healthz', Interval: '1s' } });

  before(async () => {
    consulImage = await imageRef('consul');
    appsImage = await imageRef('apps');
    const lbImage = await imageRef('lb');
    server = await scope.run({
      name: 'consul-server',
      image: consulImage,
      args: ['agent', '-server', '-bootstrap-expect=1', '-node=consul-server', '-data-dir=/consul/data', '-client=0.0.0.0'],
      ports: [8500],
      waitFor: forLog(/Consul agent running!/),
    });
    await until('a Raft leader', async () => {
      const r = await fetch(`http://127.0.0.1:${server.hostPort(8500)}/v1/status/leader`);
      const leader = (await r.json()) as string;
      return leader || undefined;
    }, 60_000);
    lb = await scope.run({
      ...lbContainerSpec({ name: 'lb', image: lbImage, consulAddr: 'consul-server:8500', serverChecks: false }),
      waitFor: forHttp(LB_PORTS.stats, '/lb/render'),
    });
    lbUrl = new URL(`http://127.0.0.1:${lb.hostPort(LB_PORTS.traffic)}/`);
    statsBase = `http://127.0.0.1:${lb.hostPort(LB_PORTS.stats)}`;
  });

  after(async () => {
    // A paused container cannot be removed cleanly everywhere; unpause first, ignore if it was not paused.
    if (server) await docker(['unpause', server.name], { allowFailure: true });
    await scope.dispose();
  });

  it('answers 503 without a server before any instance is registered', async () => {
    await startPod('pod-1');
    const { verdict } = await request();
    assert.equal(verdict, 'no-backend');
  });

  it(`routes to a newly registered instance within ${ROUTE_BOUND_MS / 1000} s`, async () => {
    const before = (await readLb(statsBase, SERVICE)).rendered;
    const t0 = Date.now();
    await register(pods.get('pod-1')!);
    await until('a request through the LB to reach pod-1', async () => {
      const r = await request();
      return r.verdict === 'ok' && r.node === 'pod-1' ? r : undefined;
    }, ROUTE_BOUND_MS, 100);
    const ms = Date.now() - t0;
    console.log(`# registration to first routed request: ${ms} ms`);
    assert.notEqual((await readLb(statsBase, SERVICE)).rendered, before, 'the config was re-rendered and HAProxy reloaded');
  });

  it('spreads over two instances and drops a deregistered one', async () => {
    const pod2 = await startPod('pod-2');
    await register(pod2);
    await until('both instances listed', async () => ((await listed()).join() === 'pod-1,pod-2' ? true : undefined), ROUTE_BOUND_MS, 200);
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const r = await request();
      assert.equal(r.verdict, 'ok');
      seen.add(r.node);
    }
    assert.deepEqual([...seen].sort(), ['pod-1', 'pod-2'], 'round robin reaches both');

    const t0 = Date.now();
    await agentApi(pod2, `/v1/agent/service/deregister/${SERVICE}`);
    await until('pod-2 to leave the LB', async () => ((await listed()).join() === 'pod-1' ? true : undefined), LEAVE_BOUND_MS, 200);
    console.log(`# deregistration to leaving the LB: ${Date.now() - t0} ms`);
    for (let i = 0; i < 6; i++) assert.equal((await request()).node, 'pod-1');
  });

  it('keeps a stale backend while Consul hangs: users are routed to a dead instance until Consul answers again', async () => {
    const seconds: TrafficSecond[] = [];
    const stop = new AbortController();
    const load = runLoad({ signal: stop.signal, url: lbUrl.href, service: SERVICE, ratePerSec: 20, durationMs: HANG_MS + LEAVE_BOUND_MS + 6_000, timeoutMs: CLIENT_TIMEOUT_MS, onSecond: (s) => seconds.push(s) });
    try {
      await new Promise((r) => setTimeout(r, 2_000));
      const renderedBefore = (await readLb(statsBase, SERVICE)).rendered;
      // SIGSTOP on every process of the server: connections open, nothing answers (a drowned Consul).
      await docker(['pause', server.name]);
      const hangAt = Date.now();
      await pods.get('pod-1')!.app.kill();
      const killedAt = Date.now();
      // Through the whole hang the LB must still list the dead instance and serve the same config.
      while (Date.now() - hangAt < HANG_MS) {
        assert.deepEqual(await listed(), ['pod-1'], 'stale: the dead instance is still a server');
        await new Promise((r) => setTimeout(r, 500));
      }
      assert.equal((await readLb(statsBase, SERVICE)).rendered, renderedBefore, 'no render while Consul hangs');
      const stale = await request();
      assert.equal(stale.verdict, 'dead-backend', `a request during the hang: ${JSON.stringify(stale.out)}`);

      await docker(['unpause', server.name]);
      const resumedAt = Date.now();
      await until('the dead instance to leave the LB', async () => ((await listed()).length === 0 ? true : undefined), LEAVE_BOUND_MS, 200);
      const leftMs = Date.now() - resumedAt;
      assert.equal((await request()).verdict, 'no-backend');
      await load;
      const afterKill = seconds.filter((s) => Date.parse(s.ts) >= Math.ceil(killedAt / 1000) * 1000 && Date.parse(s.ts) + 1000 <= resumedAt);
      const dead = afterKill.reduce((n, s) => n + (s.errors['dead-backend'] ?? 0), 0);
      const ok = afterKill.reduce((n, s) => n + s.ok, 0);
      const total = afterKill.reduce((n, s) => n + s.sent, 0);
      console.log(`# stale config: ${((resumedAt - killedAt) / 1000).toFixed(1)} s; ${dead}/${total} requests routed to the dead instance, ${ok} ok; left the LB ${leftMs} ms after Consul resumed`);
      assert.ok(total >= 20 * (HANG_MS / 1000 - 2), `the generator kept its rate: ${total} requests`);
      assert.equal(ok, 0, 'no request succeeded: the only instance was dead');
      assert.equal(dead, total, 'every request during the hang was routed to the dead instance');
    } finally {
      stop.abort();
      await docker(['unpause', server.name], { allowFailure: true });
      await load.catch(() => {});
    }
  });
});
