import type { Clients } from '../../cluster/kube.ts';
import { waitFor } from '../../util/wait.ts';
import { WORKLOAD_NS } from '../../workload/render.ts';

/** Deletes the workload namespace and waits until it is gone (a new one cannot be made before). */
export async function deleteWorkload(core: Clients['core']): Promise<void> {
  try {
    await core.deleteNamespace({ name: WORKLOAD_NS });
  } catch (err) {
    if ((err as { code?: number }).code === 404) return;
    throw err;
  }
  await waitFor(
    async () => {
      try {
        await core.readNamespace({ name: WORKLOAD_NS });
        return false;
      } catch {
        return true;
      }
    },
    { timeoutMs: 3 * 60_000, what: `namespace ${WORKLOAD_NS} from the previous run to be gone` },
  );
}
