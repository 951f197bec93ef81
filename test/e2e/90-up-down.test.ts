import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clients } from '../../src/cluster/kube.ts';
import { isReady } from '../../src/cluster/nodes.ts';
import { readState } from '../../src/cluster/state.ts';
import { consulClient, consulKvRoundTrip, consulLeader, memberCounts } from '../../src/components/consul.ts';
import { kafkaRoundTrip } from '../../src/components/kafka.ts';
import { loadCredentials, vaultHealth, vaultKvRoundTrip } from '../../src/components/vault.ts';
import { assertLabGone, lab } from './helpers.ts';

test('lab up brings a real cluster with Kafka, Consul and Vault; lab down removes every trace', { timeout: 40 * 60_000 }, async (t) => {
  const upRun = await lab(['up']);
  assert.equal(upRun.code, 0, 'lab up exits 0');
  const state = readState();
  assert.ok(state, 'lab up wrote its state');
  const s = state.settings;

  await t.test('all nodes Ready', async () => {
    const nodes = (await clients({ clusterName: s.name }).core.listNode()).items;
    assert.equal(nodes.length, s.workers + 1);
    assert.deepEqual(nodes.filter((n) => !isReady(n)).map((n) => n.metadata?.name), []);
  });
  await t.test('Kafka round trip from the host', async () => {
    assert.ok((await kafkaRoundTrip(state.kafka)) > 0);
  });
  await t.test('Consul has a leader, 3 servers + Vault agent alive, KV round trip', async () => {
    const c = consulClient(s.consulHostPort);
    assert.match(await consulLeader(c), /:8300$/);
    const m = await memberCounts(c);
    assert.ok(m.alive >= 4, `at least 3 servers and Vault's agent alive, saw ${JSON.stringify(m)}`);
    // The round trip throws unless it reads back what it wrote; the time must be a real measurement.
    const ms = await consulKvRoundTrip(c, `outage-lab/e2e-${process.pid}`);
    assert.ok(Number.isFinite(ms) && ms > 0 && ms < 30_000, `Consul KV round trip took ${ms} ms`);
    assert.equal(((await c.kv.get(`outage-lab/e2e-${process.pid}`)) as unknown as { Value?: string } | undefined)?.Value !== undefined, true, 'the key written is there');
  });
  await t.test('Vault is initialised, unsealed, and serves KV', async () => {
    const h = await vaultHealth(s.vaultHostPort);
    assert.equal(h.initialized, true);
    assert.equal(h.sealed, false);
    const creds = loadCredentials();
    assert.ok(creds);
    const ms = await vaultKvRoundTrip(s.vaultHostPort, creds.rootToken);
    assert.ok(Number.isFinite(ms) && ms > 0 && ms < 30_000, `Vault KV round trip took ${ms} ms`);
  });
  await t.test('lab status shows the nodes and healthy components, and no secret', async () => {
    const st = await lab(['status']);
    assert.equal(st.code, 0);
    assert.match(st.stdout, /Ready/);
    assert.match(st.stdout, /kafka\s+ok/);
    assert.match(st.stdout, /vault\s+ok, unsealed/);
    const creds = loadCredentials()!;
    assert.ok(!st.stdout.includes(creds.rootToken.reveal()) && !upRun.stderr.includes(creds.rootToken.reveal()));
  });
  await t.test('lab up a second time reuses the cluster', async () => {
    const again = await lab(['up']);
    assert.equal(again.code, 0);
    assert.match(again.stderr, /reused|restarted/);
  });
  await t.test('lab down leaves no container, network or kube context of the lab', async () => {
    const d = await lab(['down']);
    assert.equal(d.code, 0);
    await assertLabGone(s.name);
  });
});
