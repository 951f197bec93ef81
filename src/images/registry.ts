import { lookup } from 'node:dns/promises';
import { capture } from '../util/exec.ts';

/**
 * Whether Docker's default registry can plausibly be reached, decided by name resolution alone so that
 * machines without a registry never send it a connection. The host comes from the engine's own settings.
 */
export async function defaultRegistryResolves(timeoutMs = 3000): Promise<boolean> {
  let host: string;
  try {
    host = new URL(await capture('docker', ['info', '--format', '{{.IndexServerAddress}}'])).hostname;
  } catch {
    return false;
  }
  const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
  const resolved = lookup(host).then(
    () => true,
    () => false,
  );
  return Promise.race([resolved, timeout]);
}
