import { ensureVaultUnsealed, loadCredentials, vaultHealth } from '../../../components/vault.ts';
import { applyFault } from '../../../faults/runner.ts';
import { WORKLOAD_NS } from '../../../workload/render.ts';
import { tag, type RunContext } from '../context.ts';

/**
 * The remedy phase: gossip encryption on, everything rolled with the key, and Vault (which restarts
 * sealed, as it did for Target) unsealed by the operator once it is back: that is the redeploy of 2019.
 * With split clusters each platform gets its own key, at the same time.
 */
export async function applyRemedy(ctx: RunContext, durationMs: number): Promise<void> {
  const { journal, clock } = ctx;
  const history = ctx.history!;
  const f = 'gossip-encryption';
  const started = Date.now();
  await Promise.all(
    ctx.clusters.map(async (rc) => {
      const clusterName = rc.settings.name;
      history.append({ type: 'fault', source: 'controller', f, kind: 'invoke', op: 'inject', ...tag(rc) });
      try {
        const id = await applyFault(journal, f, { clusterName, controlPlaneNode: `${clusterName}-control-plane`, namespaces: ['lab', WORKLOAD_NS] });
        history.append({ type: 'fault', source: 'controller', f, kind: 'ok', op: 'inject', journalId: id, ...tag(rc) });
      } catch (err) {
        history.append({ type: 'fault', source: 'controller', f, kind: 'fail', op: 'inject', error: (err as Error).message, ...tag(rc) });
        throw err;
      }
    }),
  );
  while (!clock.aborted && Date.now() - started < durationMs) {
    await clock.sleep(5000);
    for (const rc of ctx.clusters) {
      const port = rc.settings.vaultHostPort;
      try {
        const h = await vaultHealth(port);
        if (h.initialized && h.sealed && loadCredentials(rc.settings.name)) {
          await ensureVaultUnsealed(port, rc.settings.name);
          history.append({ type: 'fault', source: 'controller', f, kind: 'info', op: 'unseal-vault', details: { after: 'restart with the gossip key' }, ...tag(rc) });
        }
      } catch {
        // Vault not back yet: the recorder's probes say so.
      }
    }
  }
}
