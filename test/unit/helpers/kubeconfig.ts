import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway kubeconfig with one context per server (token auth); the current one is `current`, else the first; `ca` gives a context's cluster a CA (any text). */
export function writeKubeconfig(contexts: Record<string, string>, current?: string, ca: Record<string, string> = {}): string {
  const file = join(mkdtempSync(join(tmpdir(), 'kc-')), 'config');
  const names = Object.keys(contexts);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': current ?? names[0],
      clusters: names.map((n) => ({ name: n, cluster: { server: contexts[n], ...(ca[n] ? { 'certificate-authority-data': Buffer.from(ca[n]).toString('base64') } : {}) } })),
      users: [{ name: 'u', user: { token: 'x' } }],
      contexts: names.map((n) => ({ name: n, context: { cluster: n, user: 'u' } })),
    }),
  );
  return file;
}
