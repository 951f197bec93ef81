// The fault agent's decisions over a fake Lease and a fake filter table (pure logic, a fake clock): it
// acts only for a controller it sees renewing, removes every lab rule within the deadline once the
// renewals stop (or the Lease goes), then leaves the node alone; a heal from another process (orders
// changed, no renewal) removes but never inserts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FaultAgent } from '../../src/apps/fault-agent/agent.ts';
import { DeadMan, decide } from '../../src/apps/fault-agent/dead-man.ts';
import type { LeaseRead } from '../../src/apps/fault-agent/lease-reader.ts';
import { createLogger } from '../../src/apps/lib/log.ts';
import { serializeOrders } from '../../src/faults/agent-protocol.ts';
import { CUT_COMMENT, cutRules } from '../../src/faults/kafka-network.ts';

const NODE = 'lab-worker';
const RULES = cutRules({ nodes: [NODE], kafkaIp: '172.18.0.5', comment: CUT_COMMENT });
const line = (r: readonly string[]) => `-A ${r.join(' ')}`;

class FakeTable {
  rules: string[][] = [];
  failing = false;
  async list() {
    if (this.failing) throw new Error('iptables: Resource temporarily unavailable');
    return ['-P FORWARD ACCEPT', ...this.rules.map(line)];
  }
  async insert(r: readonly string[]) {
    this.rules.unshift([...r]);
  }
  async delete(r: readonly string[]) {
    const i = this.rules.findIndex((x) => x.join(' ') === r.join(' '));
    if (i < 0) throw new Error('iptables: Bad rule');
    this.rules.splice(i, 1);
  }
}

function setup(deadlineMs = 15_000) {
  let now = 0;
  let renew = 0;
  const lease: { read: () => LeaseRead; failing: boolean } = {
    failing: false,
    read: () => ({ view: { renewTime: new Date(renew * 1000).toISOString(), durationMs: deadlineMs }, ordersText: serializeOrders({ rules: { [NODE]: RULES } }) }),
  };
  const table = new FakeTable();
  const agent = new FaultAgent({
    node: NODE,
    comment: CUT_COMMENT,
    pollMs: 1000,
    deadlineMs,
    readLease: async () => {
      if (lease.failing) throw new Error('connect ECONNREFUSED');
      return lease.read();
    },
    iptables: table,
    now: () => now,
    log: createLogger('test', { write: () => {} }),
  });
  /** Polls once a second for `ms`, the controller renewing every 3 s while `renewing`. */
  const run = async (ms: number, renewing: boolean) => {
    const end = now + ms;
    while (now < end) {
      now += 1000;
      if (renewing && now % 3000 === 0) renew++;
      await agent.poll();
    }
  };
  return { agent, table, lease, run, at: () => now, setNow: (t: number) => (now = t), renewNow: () => renew++ };
}

test('a new agent neither adds nor removes until it sees a renewal; then it makes the node match its orders', async () => {
  const { agent, table, run } = setup();
  table.rules.push(RULES[1]!); // left by an earlier agent of a live cut
  await agent.poll();
  assert.equal(agent.state, 'starting');
  assert.deepEqual(table.rules, [RULES[1]], 'the ordered rule stays while starting');
  await run(3000, true);
  assert.equal(agent.state, 'live');
  assert.deepEqual(table.rules.map(line).sort(), RULES.map(line).sort(), 'the whole cut, once');
  await run(10_000, true);
  assert.equal(table.rules.length, RULES.length, 'no churn while live');
});

test('dead-man: the renewals stop, every lab rule is gone within the deadline, and the node is left alone after', async () => {
  const { agent, table, run, at } = setup(15_000);
  await run(6000, true);
  const count = () => table.rules.length;
  assert.equal(count(), 2);
  const killedAt = at(); // right after a renewal (6 s)
  let goneAt: number | undefined;
  for (let i = 0; i < 20 && goneAt === undefined; i++) {
    await run(1000, false);
    if (count() === 0) goneAt = at();
  }
  assert.ok(goneAt !== undefined, 'the rules went');
  assert.ok(goneAt - killedAt <= 15_000, `gone ${goneAt - killedAt} ms after the last renewal`);
  assert.ok(goneAt - killedAt >= 10_000, `not before the silence limit (${goneAt - killedAt} ms)`);
  assert.equal(agent.state, 'lapsed');
  table.rules.push(RULES[0]!); // a cut applied another way later (node-exec)
  await run(5000, false);
  assert.deepEqual(table.rules, [RULES[0]], 'a lapsed agent does not fight it');
});

test('dead-man: an API server that cannot be reached counts as no renewal; a deleted Lease lapses at once', async () => {
  const a = setup(15_000);
  await a.run(6000, true);
  a.lease.failing = true;
  await a.run(15_000, true);
  assert.equal(a.table.rules.length, 0, 'unreadable Lease: rules removed within the deadline');
  assert.ok(a.agent.counts.leaseReadErrors >= 10);

  const b = setup(15_000);
  await b.run(6000, true);
  b.lease.read = () => ({ view: 'gone', ordersText: undefined });
  await b.agent.poll();
  assert.equal(b.table.rules.length, 0, 'no Lease: removed on the next poll');
});

test('a sweep that fails is retried every poll until it succeeds', async () => {
  const { agent, table, run } = setup(15_000);
  await run(6000, true);
  table.failing = true;
  await run(15_000, false);
  assert.equal(agent.state, 'lapsed');
  assert.match(String(agent.lastError), /sweep: .*iptables: Resource temporarily unavailable/);
  table.failing = false;
  await run(1000, false);
  assert.equal(table.rules.length, 0, 'the pending sweep went through once iptables answered');
});

test('orders changed without a renewal (a heal from another process): removals only, never an insert', async () => {
  const { agent, table, lease, run } = setup(15_000);
  await run(6000, true);
  await run(12_000, false); // lapsed and swept
  table.rules.push(RULES[0]!, RULES[1]!);
  const before = lease.read();
  lease.read = () => ({ view: before.view, ordersText: serializeOrders({ rules: { [NODE]: [RULES[0]!] } }) });
  await agent.poll();
  assert.notEqual(agent.state, 'live');
  assert.deepEqual(table.rules, [RULES[0]], 'the unordered rule went, the ordered one stays, nothing inserted');
});

test('decide: the transitions in one table', () => {
  assert.deepEqual(decide({ state: 'live', previous: 'lapsed', sweepPending: true, ordersChanged: false }), { action: 'reconcile', sweepPending: false });
  assert.deepEqual(decide({ state: 'lapsed', previous: 'live', sweepPending: false, ordersChanged: false }), { action: 'sweep', sweepPending: true });
  assert.deepEqual(decide({ state: 'lapsed', previous: 'starting', sweepPending: false, ordersChanged: false }), { action: 'sweep', sweepPending: true });
  assert.deepEqual(decide({ state: 'lapsed', previous: 'lapsed', sweepPending: false, ordersChanged: false }), { action: 'idle', sweepPending: false });
  assert.deepEqual(decide({ state: 'starting', previous: 'starting', sweepPending: false, ordersChanged: true }), { action: 'remove-unordered', sweepPending: false });
  const d = new DeadMan(0, 1000, 15_000);
  d.seen({ renewTime: 'a', durationMs: 20_000 }, 0);
  assert.equal(d.state(14_000), 'starting', 'a first read is only a baseline');
  assert.equal(d.deadlineMs, 20_000, 'the Lease carries the bound');
  d.seen({ renewTime: 'b', durationMs: 20_000 }, 14_000);
  assert.equal(d.state(14_000 + 16_000), 'live', 'silence limit for 20 s: 16 s');
  assert.equal(d.state(14_000 + 16_001), 'lapsed');
});
