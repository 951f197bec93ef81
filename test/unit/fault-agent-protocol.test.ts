// The words the controller and the fault agent share (pure): orders parsed fail-closed, rules matched
// against real `iptables -S` output, desired-vs-actual reconciliation, and the dead-man's bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listingHas, OrdersError, parseOrders, planReconcile, renewEveryMs, ruleKey, serializeOrders, silenceLimitMs } from '../../src/faults/agent-protocol.ts';
import { CUT_COMMENT, cutRules } from '../../src/faults/kafka-network.ts';

// Printed by iptables-nft 1.8 (`iptables -S` in a scratch network namespace) after inserting the rules of
// an in-cluster broker's cut (host listener 9094 kept open) and an external broker's OUTPUT rule.
const LISTING = [
  '-P INPUT ACCEPT',
  '-P FORWARD ACCEPT',
  '-P OUTPUT ACCEPT',
  '-A FORWARD -d 172.18.0.5/32 ! -p tcp -m comment --comment outage-lab-kafka-cut -j DROP',
  '-A FORWARD -d 172.18.0.5/32 -p tcp -m tcp ! --dport 9094 -m comment --comment outage-lab-kafka-cut -j DROP',
  '-A OUTPUT -d 172.18.0.5/32 -m comment --comment outage-lab-kafka-cut -j DROP',
];
const inCluster = cutRules({ nodes: ['n'], kafkaIp: '172.18.0.5', comment: CUT_COMMENT, keepTcpPort: 9094 });
const external = cutRules({ nodes: ['n'], kafkaIp: '172.18.0.5', comment: CUT_COMMENT });

test('a rule as ordered matches the line iptables -S prints for it (the implicit -m tcp aside), and no other', () => {
  const [fwdTcp, fwdOther] = inCluster as [string[], string[]];
  assert.ok(listingHas(LISTING, fwdTcp), 'FORWARD -p tcp ! --dport: printed with -m tcp');
  assert.ok(listingHas(LISTING, fwdOther), 'FORWARD ! -p tcp');
  assert.ok(listingHas(LISTING, external[1]!), 'OUTPUT without a port');
  assert.ok(!listingHas(LISTING, external[0]!), 'the FORWARD rule of the external cut is not listed');
  assert.ok(!listingHas(LISTING, ['OUTPUT', '-d', '172.18.0.6/32', '-m', 'comment', '--comment', CUT_COMMENT, '-j', 'DROP']), 'another address');
  assert.equal(ruleKey(['FORWARD', '-p', 'tcp', '-m', 'tcp', '!', '--dport', '1']), ruleKey(['FORWARD', '-p', 'tcp', '!', '--dport', '1']));
  assert.notEqual(ruleKey(['FORWARD', '-p', 'udp', '-m', 'tcp']), ruleKey(['FORWARD', '-p', 'udp']), 'only the match of the protocol given is implicit');
});

test('reconcile: missing ordered rules are inserted, unordered lab rules and second copies removed, other rules never touched', () => {
  const other = '-A FORWARD -d 10.0.0.1/32 -j DROP';
  const dup = LISTING[5]!;
  const plan = planReconcile([...LISTING, dup, other], external, CUT_COMMENT);
  assert.deepEqual(plan.insert, [external[0]], 'the external FORWARD rule is missing');
  assert.deepEqual(
    plan.remove.map((r) => r.join(' ')),
    [
      'FORWARD -d 172.18.0.5/32 ! -p tcp -m comment --comment outage-lab-kafka-cut -j DROP',
      'FORWARD -d 172.18.0.5/32 -p tcp -m tcp ! --dport 9094 -m comment --comment outage-lab-kafka-cut -j DROP',
      'OUTPUT -d 172.18.0.5/32 -m comment --comment outage-lab-kafka-cut -j DROP',
    ],
    'the in-cluster rules are not ordered and the OUTPUT rule is there twice: one copy goes',
  );
  const done = planReconcile(LISTING, [...inCluster.slice(0, 2), external[1]!], CUT_COMMENT);
  assert.deepEqual(done, { remove: [], insert: [] }, 'a node that matches its orders is left alone');
  assert.deepEqual(planReconcile(LISTING, [], CUT_COMMENT).remove.length, 3, 'no orders: every lab rule goes');
});

test('orders: parsed fail-closed; a rule without the lab comment, outside FORWARD/OUTPUT or not DROP is refused', () => {
  assert.deepEqual(parseOrders(undefined, CUT_COMMENT), { rules: {} });
  const o = { rules: { a: external, b: [] }, probe: { host: '172.18.0.5', port: 9092, timeoutMs: 3000 } };
  assert.deepEqual(parseOrders(serializeOrders(o), CUT_COMMENT), { rules: { a: external }, probe: o.probe }, 'round trip; empty lists dropped');
  assert.equal(serializeOrders({ rules: { b: [external[0]!], a: [external[1]!] } }), serializeOrders({ rules: { a: [external[1]!], b: [external[0]!] } }), 'canonical');
  for (const [text, why] of [
    ['{', /not JSON/],
    ['{"rules":[]}', /no rules map/],
    [JSON.stringify({ rules: { a: [['OUTPUT', '-d', '1.2.3.4/32', '-j', 'DROP']] } }), /lacks --comment/],
    [JSON.stringify({ rules: { a: [['INPUT', '-m', 'comment', '--comment', CUT_COMMENT, '-j', 'DROP']] } }), /FORWARD or OUTPUT/],
    [JSON.stringify({ rules: { a: [['OUTPUT', '-m', 'comment', '--comment', CUT_COMMENT, '-j', 'ACCEPT']] } }), /-j DROP/],
    [JSON.stringify({ rules: {}, probe: { host: 'kafka', port: 9092, timeoutMs: 3000 } }), /IPv4/],
  ] as const) {
    assert.throws(() => parseOrders(text, CUT_COMMENT), (e: unknown) => e instanceof OrdersError && why.test((e as Error).message), text);
  }
});

test('the dead-man bound: a renewal seen late, a lapse noticed late and a slow read still fit in the deadline; renewals fit several times', () => {
  for (const deadline of [10_000, 15_000, 60_000]) {
    const poll = 1000;
    const limit = silenceLimitMs(deadline, poll);
    assert.ok(limit + 3 * poll + 1000 <= deadline, `${deadline}: limit ${limit} leaves room`);
    assert.ok(renewEveryMs(deadline) * 2 <= limit, `${deadline}: at least two renewals per silence limit`);
  }
  assert.equal(silenceLimitMs(15_000, 1000), 11_000);
  assert.equal(renewEveryMs(15_000), 3000);
});
