// The lab's Vault image keeps its data in Consul, as the incident's Vault did, and node-vault drives it
// through init, unseal and a KV round trip. The root token and unseal key stay out of the output.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import nodeVault from 'node-vault';
import { DockerScope, forHttp, forLog, until, type Container } from '../../src/docker/containers.ts';
import { imageRef } from '../../src/images/catalog.ts';
import { redactText, Secret } from '../../src/secrets/secret.ts';

const VAULT_CONFIG = `
storage "consul" {
  address = "consul:8500"
  path    = "vault/"
}
listener "tcp" {
  address     = "0.0.0.0:8200"
  tls_disable = true
}
api_addr      = "http://vault:8200"
cluster_addr  = "http://vault:8201"
disable_mlock = true
`;

/**
 * Every status /sys/health can answer mapped to 200: node-vault throws on anything else. Its schema for
 * health lacks the DR-secondary (472) and performance-standby (473) parameters and would drop them from
 * the query, so the command is regenerated with them added.
 */
const HEALTH_QUERY = { standbyok: true, activecode: 200, standbycode: 200, drsecondarycode: 200, performancestandbycode: 200, sealedcode: 200, uninitcode: 200 };

function vaultClient(endpoint: string): nodeVault.client {
  const client = nodeVault({ apiVersion: 'v1', endpoint });
  const health = client.commands.health!;
  const query = health.schema?.query as { properties: Record<string, unknown> };
  client.generateFunction('health', {
    ...health,
    schema: {
      ...health.schema,
      query: { ...query, properties: { ...query.properties, drsecondarycode: { type: 'integer' }, performancestandbycode: { type: 'integer' } } },
    },
  });
  return client;
}

/** node-vault's errors carry the whole request, token header included: keep only a redacted message. */
async function safe<T>(what: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw new Error(`${what} failed: ${redactText(err instanceof Error ? err.message : String(err))}`);
  }
}

interface Health {
  initialized: boolean;
  sealed: boolean;
  standby: boolean;
}

describe('vault image with consul storage', { timeout: 180_000 }, () => {
  const scope = new DockerScope('vault');
  let consulNode: Container;
  let vaultNode: Container;
  let vault: nodeVault.client;
  let rootToken: Secret | undefined;
  let unsealKey: Secret | undefined;

  before(async () => {
    // A single dev-mode server is enough storage for this test and starts in a second or two.
    consulNode = await scope.run({
      name: 'consul',
      image: await imageRef('consul'),
      args: ['agent', '-dev', '-client=0.0.0.0', '-node=consul'],
      ports: [8500],
      waitFor: forLog(/cluster leadership acquired|New leader elected/),
    });
    // The config goes in through the environment so that no host file has to be shared with the daemon.
    vaultNode = await scope.run({
      name: 'vault',
      image: await imageRef('vault'),
      entrypoint: 'sh',
      args: ['-c', 'printf %s "$VAULT_CONFIG" > /tmp/vault.hcl && exec vault server -config=/tmp/vault.hcl'],
      env: { VAULT_CONFIG },
      ports: [8200],
      waitFor: forHttp(8200, '/v1/sys/health', (status) => status === 501),
    });
    vault = vaultClient(`http://127.0.0.1:${vaultNode.hostPort(8200)}`);
  });

  after(() => scope.dispose());

  const health = () => safe('health', vault.health(HEALTH_QUERY)) as Promise<Health>;

  it('reports health without throwing while uninitialised', async () => {
    const h = await health();
    assert.equal(h.initialized, false);
    assert.equal(h.sealed, true);
  });

  it('initialises with one key share and reports health while sealed', async () => {
    const init = (await safe('init', vault.init({ secret_shares: 1, secret_threshold: 1 }))) as { keys: string[]; root_token: string };
    assert.equal(init.keys.length, 1, 'one unseal key');
    unsealKey = new Secret(init.keys[0]!, 'vault unseal key');
    rootToken = new Secret(init.root_token, 'vault root token');
    const h = await health();
    assert.equal(h.initialized, true);
    assert.equal(h.sealed, true);
  });

  it('unseals and becomes the active node', async () => {
    assert.ok(unsealKey, 'initialised by the previous test');
    const res = (await safe('unseal', vault.unseal({ secret_shares: 1, key: unsealKey.reveal() }))) as { sealed: boolean };
    assert.equal(res.sealed, false);
    await until('vault to be active', async () => {
      const h = await health();
      return !h.sealed && !h.standby ? h : undefined;
    }, 30_000);
  });

  it('round-trips a KV v2 secret, stored in Consul', async () => {
    assert.ok(rootToken, 'initialised by the earlier test');
    vault.token = rootToken.reveal();
    await safe('mount kv', vault.mount({ mount_point: 'secret', type: 'kv', options: { version: '2' } }));
    // A new KV v2 mount upgrades itself in the background and refuses writes until that is done.
    await until('the kv v2 mount to accept writes', () => safe('write', vault.write('secret/data/outage-lab', { data: { hello: 'world' } })), 30_000);
    const read = (await safe('read', vault.read('secret/data/outage-lab'))) as { data: { data: { hello: string } } };
    assert.equal(read.data.data.hello, 'world');

    const keys = await fetch(`http://127.0.0.1:${consulNode.hostPort(8500)}/v1/kv/vault/?keys`);
    assert.equal(keys.status, 200, 'Vault wrote under vault/ in Consul');
    const list = (await keys.json()) as string[];
    assert.ok(list.some((k) => k.startsWith('vault/logical/')), 'secret data lives in Consul');
  });

  it('never wrote the root token or the unseal key to its log', async () => {
    assert.ok(rootToken && unsealKey);
    const logs = await vaultNode.logs();
    assert.equal(logs.includes(rootToken.reveal()), false, 'root token absent from the vault log');
    assert.equal(logs.includes(unsealKey.reveal()), false, 'unseal key absent from the vault log');
  });
});
