// Healthy is proven, not assumed: a Consul leader and KV write, Vault unsealed and a KV write, a Kafka round trip.
import { CONSUL_SERVERS, consulClient, consulKvRoundTrip, consulLeader, consulServersSettled, describeSettled, isSettled, memberCounts } from '../../../components/consul.ts';
import { kafkaRoundTrip, waitForKafka } from '../../../components/kafka.ts';
import { inClusterDiagnosis, waitForKafkaRollout } from '../../../components/kafka-in-cluster.ts';
import { ensureVaultUnsealed, vaultKvRoundTrip } from '../../../components/vault.ts';
import { task } from '../../../ui/progress.ts';
import { waitFor } from '../../../util/wait.ts';
import { clients } from '../../kube.ts';
import { kubeContextName } from '../../settings.ts';
import type { UpStep } from '../context.ts';

export const roundTrips: UpStep = {
  name: 'round trips',
  async run(ctx) {
    const kafka = await ctx.kafkaStarting;
    for (const c of ctx.clusters) {
      const ctxFlag = ctx.of(c, (n) => `--context ${kubeContextName(n)} `);
      await task(`${c.first ? 'Kafka, ' : ''}Consul, Vault: round trips through their clients${ctx.of(c, (n) => ` (${n})`)}`, async (t) => {
        t.step('Consul leader');
        const consul = consulClient(c.s.consulHostPort);
        await waitFor(async () => (await consulLeader(consul)) || undefined, {
          timeoutMs: 4 * 60_000,
          what: `a Consul leader in ${c.s.name}`,
          hint: `kubectl ${ctxFlag}-n lab logs consul-server-0`,
        });
        // A leader seen once is not a settled cluster: right after a roll (the gossip remedy's heal) the
        // first KV write can still fail with "No cluster leader"; it is retried like the leader itself.
        const consulMs = await waitFor(() => consulKvRoundTrip(consul), {
          timeoutMs: 60_000,
          what: `a Consul KV round trip in ${c.s.name}`,
          hint: `kubectl ${ctxFlag}-n lab logs consul-server-0`,
        });
        const members = await waitFor(() => memberCounts(consul), { timeoutMs: 30_000, what: `the Consul members of ${c.s.name}` });
        t.step('Vault');
        const creds = await waitFor(() => ensureVaultUnsealed(c.s.vaultHostPort, c.s.name), {
          timeoutMs: 4 * 60_000,
          what: `Vault of ${c.s.name} to be initialised and unsealed`,
          hint: `kubectl ${ctxFlag}-n lab logs deploy/vault -c vault`,
        });
        const vaultMs = await waitFor(() => vaultKvRoundTrip(c.s.vaultHostPort, creds.rootToken), { timeoutMs: 60_000, what: 'a Vault KV round trip' });
        if (!c.first) {
          await consulSettled(c.s.consulHostPort, c.s.name, ctxFlag, t);
          t.detail(`Consul KV ${consulMs.toFixed(1)} ms (${members.alive} alive), Vault KV ${vaultMs.toFixed(1)} ms`);
          return;
        }
        if (ctx.placement === 'in-cluster') {
          const k = clients({ clusterName: c.s.name });
          await waitForKafkaRollout(k.apps, (x) => t.step(`Kafka: ${x}`));
          t.step('Kafka: topics');
          await waitForKafka(kafka.ep, 3, 120_000, inClusterDiagnosis(k.core, c.s.name));
        }
        t.step('Kafka');
        const kafkaMs = await kafkaRoundTrip(kafka.ep);
        await consulSettled(c.s.consulHostPort, c.s.name, ctxFlag, t);
        t.detail(`Kafka ${kafkaMs} ms, Consul KV ${consulMs.toFixed(1)} ms (${members.alive} alive), Vault KV ${vaultMs.toFixed(1)} ms`);
      });
    }
  },
};

/**
 * Last, so the servers' stabilization time (10 s) mostly passes while Vault and Kafka are checked. Without it
 * a lab whose Consul servers came back with raft data of earlier pods was "up" in the middle of a minute of
 * elections, and the next command's Consul writes timed out (seen with `lab status --context` right after
 * `lab up --context`); a replay would have measured that minute as the outage's.
 */
async function consulSettled(port: number, name: string, ctxFlag: string, t: { step(s: string): void }): Promise<void> {
  t.step('Consul servers settling');
  await waitFor(
    async () => {
      const seen = await consulServersSettled(port);
      t.step(`Consul servers settling: ${describeSettled(seen)}`);
      // Thrown, so a timeout names the last state seen.
      if (!isSettled(seen, CONSUL_SERVERS)) throw new Error(describeSettled(seen));
      return true;
    },
    {
      timeoutMs: 3 * 60_000,
      what: `the Consul servers of ${name} to settle (autopilot healthy, ${CONSUL_SERVERS} voters)`,
      hint: `kubectl ${ctxFlag}-n lab logs consul-server-0 | grep -i election`,
    },
  );
}
