// `lab up` is done only when the Consul servers have settled; a leader answering once is not that (servers
// back with earlier pods' raft data elect for about a minute). The verdict is read from autopilot's health.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { CONSUL_SERVERS, consulServersSettled, describeSettled, isSettled } from '../../src/components/consul.ts';
import { loadManifest } from '../../src/cluster/manifests.ts';

let answer: { status: number; body: unknown } = { status: 200, body: {} };
let server: Server;
let port = 0;
before(async () => {
  server = createServer((req, res) => {
    if (req.url !== '/v1/operator/autopilot/health') return void res.writeHead(404).end();
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(() => new Promise((r) => server.close(r)));

const srv = (name: string, o: { healthy?: boolean; voter?: boolean; leader?: boolean } = {}) => ({ Name: name, Healthy: o.healthy ?? true, Voter: o.voter ?? true, Leader: o.leader ?? false });

test('three healthy voters with a leader: settled', async () => {
  answer = { status: 200, body: { Healthy: true, Servers: [srv('a', { leader: true }), srv('b'), srv('c')] } };
  const s = await consulServersSettled(port);
  assert.equal(isSettled(s, 3), true);
  assert.equal(describeSettled(s), '3/3 servers healthy, 3 voters, leader a');
});

test('a server re-added as a non-voter (it came back at a new address): not settled', async () => {
  answer = { status: 200, body: { Healthy: true, Servers: [srv('a', { leader: true }), srv('b'), srv('c', { voter: false })] } };
  assert.equal(isSettled(await consulServersSettled(port), 3), false);
});

test('autopilot unhealthy (Consul answers 429 with the same body): not settled, and the reason is readable', async () => {
  answer = { status: 429, body: { Healthy: false, Servers: [srv('a', { leader: true }), srv('b', { healthy: false }), srv('c')] } };
  const s = await consulServersSettled(port);
  assert.equal(isSettled(s, 3), false);
  assert.equal(describeSettled(s), '2/3 servers healthy, 3 voters, leader a');
});

test('fewer servers than the lab runs: not settled, even if healthy', async () => {
  answer = { status: 200, body: { Healthy: true, Servers: [srv('a', { leader: true }), srv('b')] } };
  assert.equal(isSettled(await consulServersSettled(port), 3), false);
});

test('no leader (the request is held, then refused with a 500): an error, which the wait retries', async () => {
  answer = { status: 500, body: 'No cluster leader' };
  await assert.rejects(consulServersSettled(port), /HTTP 500.*No cluster leader/);
});

test('CONSUL_SERVERS is the servers StatefulSet\u2019s replicas', () => {
  assert.equal(loadManifest('consul/servers.yaml').find((o) => o.kind === 'StatefulSet')?.spec?.replicas, CONSUL_SERVERS);
});
