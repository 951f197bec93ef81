// The lab's Consul image forms a real cluster (3 servers, 1 client agent) with gossip encryption, and
// serf reports an agent that dies without leaving as failed: the signal the replay's cascade turns on.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import Consul from 'consul';
import { DockerScope, forLog, until, type Container } from '../../src/docker/containers.ts';
import { imageRef } from '../../src/images/catalog.ts';
import { consulRefusal } from '../../src/components/consul-config-check.ts';
import { CONSUL_SERVERS, consulServersSettled, isSettled } from '../../src/components/consul.ts';

/** Serf's member status codes as the agent API reports them. */
const ALIVE = 1;
const FAILED = 4;
const SERVERS = ['consul-1', 'consul-2', 'consul-3'];

interface Member {
  Name: string;
  Status: number;
  Tags: Record<string, string>;
}

describe('consul image', { timeout: 180_000 }, () => {
  const scope = new DockerScope('consul');
  // Gossip encryption is on so that the image is known to support the remedy the lab tests with it.
  const gossipKey = randomBytes(32).toString('base64');
  let server: Container;
  let client: Container;
  let consul: Consul;

  const agentArgs = (name: string) => [
    'agent',
    `-node=${name}`,
    '-data-dir=/consul/data',
    '-client=0.0.0.0',
    `-encrypt=${gossipKey}`,
    '-hcl=encrypt_verify_incoming = true',
    '-hcl=encrypt_verify_outgoing = true',
    '-hcl=leave_on_terminate = true',
    '-hcl=reconnect_timeout = "8h"',
    '-hcl=telemetry { disable_hostname = true }',
    ...SERVERS.filter((s) => s !== name).map((s) => `-retry-join=${s}`),
  ];

  before(async () => {
    const image = await imageRef('consul');
    const started: Container[] = [];
    for (const name of SERVERS) {
      started.push(
        await scope.run({
          name,
          image,
          args: [...agentArgs(name), '-server', '-bootstrap-expect=3'],
          ports: name === 'consul-1' ? [8500] : [],
          waitFor: forLog(/Consul agent running!/),
        }),
      );
    }
    server = started[0]!;
    consul = new Consul({ host: '127.0.0.1', port: server.hostPort(8500) });
    await until('a Raft leader', async () => (await consul.status.leader()) || undefined, 60_000);
    client = await scope.run({ name: 'agent-1', image, args: agentArgs('agent-1'), ports: [8500], waitFor: forLog(/Consul agent running!/) });
  });

  after(() => scope.dispose());

  const members = async () => (await consul.agent.members()) as Member[];

  it('its servers settle: autopilot healthy with three voters, as `lab up` waits for (a leader alone is not enough)', async () => {
    const seen = await until(
      'three settled servers',
      async () => {
        const x = await consulServersSettled(server.hostPort(8500));
        return isSettled(x, CONSUL_SERVERS) ? x : undefined;
      },
      60_000,
    );
    assert.equal(seen.servers, 3);
    assert.equal(seen.healthyServers, 3);
    assert.ok(seen.leader && SERVERS.includes(seen.leader), `a leader among the servers: ${seen.leader}`);
  });

  it('lists all four agents alive, three of them servers', async () => {
    const all = await until(
      'four alive members',
      async () => {
        const m = await members();
        return m.length === 4 && m.every((x) => x.Status === ALIVE) ? m : undefined;
      },
      30_000,
    );
    assert.deepEqual(all.map((m) => m.Name).sort(), ['agent-1', ...SERVERS].sort());
    assert.deepEqual(all.filter((m) => m.Tags.role === 'consul').map((m) => m.Name).sort(), SERVERS);
    const self = (await consul.agent.self()) as { Stats: { serf_lan: { encrypted: string } } };
    assert.equal(self.Stats.serf_lan.encrypted, 'true', 'LAN gossip is encrypted');
  });

  it('round-trips a KV entry written through the client agent and read from a server', async () => {
    const viaClient = new Consul({ host: '127.0.0.1', port: client.hostPort(8500) });
    const value = `hello-${Date.now()}`;
    assert.equal(await viaClient.kv.set('outage-lab/component', value), true);
    const got = await consul.kv.get('outage-lab/component');
    assert.equal(got?.Value, value);
  });

  it('serves telemetry from the agent', async () => {
    // Gauges appear with the first metrics interval (10 s in Consul 1.8), not at start-up.
    const gauges = await until(
      'consul.* gauges in /v1/agent/metrics',
      async () => {
        const res = await fetch(`http://127.0.0.1:${server.hostPort(8500)}/v1/agent/metrics`);
        if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
        const { Gauges } = (await res.json()) as { Gauges: { Name: string }[] };
        return Gauges.some((g) => g.Name.startsWith('consul.')) ? Gauges : undefined;
      },
      20_000,
    );
    assert.ok(gauges.length > 0);
  });

  it('marks a client agent killed without leaving as failed', async () => {
    await client.kill();
    const started = Date.now();
    const dead = await until(
      'agent-1 to be marked failed',
      async () => (await members()).find((m) => m.Name === 'agent-1' && m.Status === FAILED),
      30_000,
      250,
    );
    assert.equal(dead.Status, FAILED);
    console.log(`# agent-1 marked failed ${((Date.now() - started) / 1000).toFixed(1)} s after SIGKILL`);
  });
});

describe('the lab\'s Consul binary as a judge of scenario settings', () => {
  it('refuses advertise_reconnect_timeout (so the short-reconnect arm cannot run) and accepts the shared settings', async () => {
    const image = await imageRef('consul');
    const refused = await consulRefusal(image, { advertise_reconnect_timeout: '2m0s' });
    assert.match(refused ?? 'accepted', /invalid config key advertise_reconnect_timeout/);
    assert.equal(await consulRefusal(image, { leave_on_terminate: true, reconnect_timeout: '72h0m0s' }), null);
  });
});
