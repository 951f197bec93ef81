// The agent fault driver over a fake API (pure logic): it rejects whenever an agent cannot really be
// asked (never a guess), writes its orders and renewals to the Lease, resolves an insert or a delete only
// once the node's agent reads it back, and a cut's params (`via`) pick it without the runner knowing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FaultAgent } from '../../src/apps/fault-agent/agent.ts';
import { createLogger } from '../../src/apps/lib/log.ts';
import { LeaseConflict, type AgentApi, type AgentPod, type LeaseDoc } from '../../src/faults/agent-api.ts';
import { parseOrders } from '../../src/faults/agent-protocol.ts';
import { AgentDriver } from '../../src/faults/drivers/agent.ts';
import { FaultJournal } from '../../src/faults/journal.ts';
import { CUT_COMMENT, cutRules } from '../../src/faults/kafka-network.ts';
import { applyFault, healEntry } from '../../src/faults/runner.ts';
import { FakeNodes } from './helpers/fake-nodes.ts';

const NODES = ['lab-control-plane', 'lab-worker'];
const RULES = cutRules({ nodes: NODES, kafkaIp: '172.18.0.5', comment: CUT_COMMENT });

class FakeApi implements AgentApi {
  lease: LeaseDoc | undefined;
  rv = 0;
  writes: LeaseDoc[] = [];
  conflicts = 0;
  pods: AgentPod[] = NODES.map((n) => ({ name: `fault-agent-${n}`, node: n, ready: true }));
  answer: (pod: string, path: string) => Promise<string> = async () => {
    throw new Error('503 Service Unavailable');
  };
  async readLease() {
    return this.lease && { ...this.lease, resourceVersion: String(this.rv) };
  }
  async writeLease(doc: LeaseDoc) {
    if (this.conflicts > 0) {
      this.conflicts--;
      this.rv++;
      throw new LeaseConflict('changed');
    }
    if ((doc.resourceVersion ?? undefined) !== (this.lease ? String(this.rv) : undefined)) throw new LeaseConflict('stale');
    this.rv++;
    this.lease = { ...doc };
    this.writes.push({ ...doc });
  }
  async agentPods() {
    return this.pods;
  }
  proxyGet(pod: string, p: string) {
    return this.answer(pod, p);
  }
}

/** Real agents (fake tables) behind the fake API: each answers /rules after one poll of its own. */
function withAgents(api: FakeApi) {
  const tables = new Map(NODES.map((n) => [n, [] as string[][]]));
  const agents = new Map(
    NODES.map((n) => {
      const t = tables.get(n)!;
      const agent = new FaultAgent({
        node: n,
        comment: CUT_COMMENT,
        pollMs: 1000,
        deadlineMs: 15_000,
        readLease: async () => (api.lease ? { view: { renewTime: api.lease.renewTime?.toISOString(), durationMs: (api.lease.durationSeconds ?? 15) * 1000 }, ordersText: api.lease.orders } : { view: 'gone', ordersText: undefined }),
        iptables: {
          list: async () => t.map((r) => `-A ${r.join(' ')}`),
          insert: async (r) => void t.unshift([...r]),
          delete: async (r) => void t.splice(t.findIndex((x) => x.join(' ') === r.join(' ')), 1),
        },
        now: () => performance.now(),
        log: createLogger('test', { write: () => {} }),
      });
      return [n, agent] as const;
    }),
  );
  api.answer = async (pod, p) => {
    const node = pod.replace('fault-agent-', '');
    await agents.get(node)!.poll();
    if (p === 'rules') return JSON.stringify({ node, lines: tables.get(node)!.map((r) => `-A ${r.join(' ')}`) });
    if (p === 'probe') {
      const o = parseOrders(api.lease?.orders, CUT_COMMENT).probe!;
      return JSON.stringify({ node, target: o, connected: tables.get(node)!.length === 0, from: 'pod netns cni-1' });
    }
    throw new Error('404');
  };
  return { tables, agents };
}

const driver = (api: AgentApi, extra: Partial<ConstructorParameters<typeof AgentDriver>[0]> = {}) =>
  new AgentDriver({ clusterName: 'lab', api, deadlineMs: 15_000, pollMs: 5, applyTimeoutMs: 2000, ...extra });

test('reads reject whenever the agent cannot really be asked: no agent, not ready, no answer, not JSON, another node, no listing', async () => {
  const api = new FakeApi();
  const d = driver(api);
  const cases: [() => void, RegExp][] = [
    [() => (api.pods = []), /no fault agent runs on lab-worker/],
    [() => (api.pods = [{ name: 'fault-agent-x', node: 'lab-worker', ready: false }]), /fault-agent-x\) is not ready/],
    [() => ((api.pods = new FakeApi().pods), (api.answer = async () => Promise.reject(new Error('fault-agent-lab-worker /rules: no answer in 15000 ms')))), /no answer/],
    [() => (api.answer = async () => '<html>bad gateway</html>'), /not JSON/],
    [() => (api.answer = async () => JSON.stringify({ node: 'lab-control-plane', lines: [] })), /did not come from the agent of lab-worker/],
    [() => (api.answer = async () => JSON.stringify({ node: 'lab-worker', error: 'iptables: lock' })), /sent no rule listing/],
  ];
  for (const [arrange, why] of cases) {
    arrange();
    await assert.rejects(d.listRules('lab-worker'), why);
    await assert.rejects(d.hasRule('lab-worker', RULES[0]!), why, 'hasRule rejects too: unknown is not "absent"');
  }
  await assert.rejects(d.nodesOf('other-cluster'), /acts on cluster lab only/);
  await assert.rejects(d.removeFiles('lab-worker'), /only holds network rules/);
});

test('insert: the rule is ordered with a renewal and resolves once the agent lists it; the last delete stops the renewals', async () => {
  const api = new FakeApi();
  const { tables } = withAgents(api);
  const d = driver(api);
  for (const n of NODES) await d.listRules(n); // the agents have looked once: no Lease yet
  await d.insertRule('lab-worker', RULES[0]!);
  assert.deepEqual(tables.get('lab-worker'), [RULES[0]], 'the agent applied it');
  assert.deepEqual(tables.get('lab-control-plane'), [], 'only on its node');
  const w = api.writes.at(-1)!;
  assert.deepEqual(parseOrders(w.orders, CUT_COMMENT).rules, { 'lab-worker': [RULES[0]] });
  assert.ok(w.renewTime instanceof Date && w.holder?.endsWith(`/${process.pid}`), 'the write renewed the Lease, by this process');
  assert.equal(w.durationSeconds, 15);
  assert.ok(d.renewing, 'renewals go on while a rule is ordered');
  assert.equal(await d.hasRule('lab-worker', RULES[0]!), true);
  await d.deleteRule('lab-worker', RULES[0]!);
  assert.deepEqual(tables.get('lab-worker'), []);
  assert.equal(d.renewing, false, 'no rule ordered: no renewal');
  assert.equal(await d.hasRule('lab-worker', RULES[0]!), false);
});

test('an insert the agent never applies rejects after the bound; damaged orders are never overwritten; a conflict is retried', async () => {
  const api = new FakeApi();
  api.answer = async (pod) => JSON.stringify({ node: pod.replace('fault-agent-', ''), lines: [] });
  const d = driver(api, { applyTimeoutMs: 50 });
  await assert.rejects(d.insertRule('lab-worker', RULES[0]!), /did not apply .* within 0.05 s \(not in place yet\)/);
  d.stopRenewing();

  api.conflicts = 2;
  await d.deleteRule('lab-worker', RULES[0]!);
  assert.equal(api.conflicts, 0, 'two conflicts were retried');
  assert.deepEqual(parseOrders(api.lease!.orders, CUT_COMMENT).rules, {}, 'and the write went through');

  api.lease = { ...api.lease!, orders: '{"rules":' };
  const before = api.writes.length;
  await assert.rejects(d.insertRule('lab-worker', RULES[0]!), /not JSON/);
  assert.equal(api.writes.length, before, 'nothing written over orders it could not read');
  d.stopRenewing();
});

test('probe: the target is ordered first (the agents connect only there); an answer about another target rejects', async () => {
  const api = new FakeApi();
  withAgents(api);
  const d = driver(api);
  const r = await d.tcpProbe('lab-worker', { host: '172.18.0.5', port: 9092 }, 3000);
  assert.deepEqual(r, { connected: true, from: 'pod netns cni-1' });
  assert.deepEqual(parseOrders(api.lease!.orders, CUT_COMMENT).probe, { host: '172.18.0.5', port: 9092, timeoutMs: 3000 });
  api.answer = async () => JSON.stringify({ node: 'lab-worker', target: { host: '172.18.0.9', port: 9092 }, connected: true, from: 'x' });
  await assert.rejects(d.tcpProbe('lab-worker', { host: '172.18.0.5', port: 9092 }, 3000), /gave no probe answer for 172\.18\.0\.5:9092/);
});

test('a cut whose params say via: agent goes through the context\'s driverFor, and the journal says which driver healed', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outage-lab-via-'));
  const journal = FaultJournal.open(dir, { runId: 'unit' });
  const nodeExec = new FakeNodes({ lab: NODES });
  const agent = new FakeNodes({ lab: NODES });
  Object.defineProperty(agent, 'name', { value: 'agent' });
  const probe = { host: '172.18.0.5', port: 9092 };
  const ctx = { ...nodeExec.context(probe), driverFor: (p: Record<string, unknown>) => (p.via === 'agent' ? agent : nodeExec) };
  const id = await applyFault(journal, 'kafka-cut', { nodes: NODES, kafkaIp: '172.18.0.5', comment: CUT_COMMENT, probe, via: 'agent', agentDeadlineMs: 15_000 }, ctx);
  assert.equal(agent.on('lab-worker').length, 2, 'the agent driver cut');
  assert.equal(nodeExec.on('lab-worker').length, 0, 'node-exec did nothing');
  assert.equal(journal.get(id)!.params.via, 'agent', 'the journal keeps via');
  await healEntry(journal, journal.get(id)!, ctx);
  assert.equal(agent.on('lab-worker').length, 0);
  assert.equal(journal.get(id)!.info?.driver, 'agent');
  await assert.rejects(applyFault(journal, 'kafka-cut', { nodes: NODES, kafkaIp: '172.18.0.5', comment: CUT_COMMENT, via: 'ssh' }, ctx), /parameters are incomplete/, 'an unknown via is refused');
});
