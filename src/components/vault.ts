import { chmodSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import vaultFactory from 'node-vault';
import { Secret } from '../secrets/secret.ts';
import { LabError } from '../util/errors.ts';
import { ensureDir, stateDir } from '../util/paths.ts';
import { DEFAULT_CLUSTER } from '../cluster/settings.ts';

export interface VaultHealth {
  initialized: boolean;
  sealed: boolean;
  standby: boolean;
  version: string;
}

export interface VaultCredentials {
  unsealKey: Secret;
  rootToken: Secret;
}

/**
 * Each cluster's Vault has its own keys. The first cluster's file keeps its old name, so a lab brought up
 * before split clusters existed still finds them; the second cluster's is named after it.
 */
export function credentialsFileName(clusterName: string = DEFAULT_CLUSTER.name): string {
  return clusterName === DEFAULT_CLUSTER.name ? 'vault-credentials.json' : `vault-credentials-${clusterName}.json`;
}

const credentialsFile = (clusterName?: string) => join(ensureDir(stateDir), credentialsFileName(clusterName));

export function vaultClient(port: number, token?: Secret) {
  return vaultFactory({ apiVersion: 'v1', endpoint: `http://127.0.0.1:${port}`, token: token?.reveal(), requestOptions: { timeout: 5000 } });
}

/**
 * node-vault throws on any status but 200/204; asking Vault to answer 200 for sealed, uninitialised and
 * standby states lets a health read describe the state instead of failing.
 */
export async function vaultHealth(port: number): Promise<VaultHealth> {
  const v = vaultClient(port);
  const h = (await v.health({ standbycode: 200, sealedcode: 200, uninitcode: 200, perfstandbycode: 200 })) as Record<string, unknown>;
  return { initialized: h.initialized === true, sealed: h.sealed === true, standby: h.standby === true, version: String(h.version ?? 'unknown') };
}

/** The keys of a cluster's Vault (the lab's first cluster when none is named). */
export function loadCredentials(clusterName?: string): VaultCredentials | undefined {
  const file = credentialsFile(clusterName);
  if (!existsSync(file)) return undefined;
  const broken = (why: string) =>
    new LabError(`Vault's credentials file ${file} ${why}`, 'if Vault was initialised with it, its keys are lost: run `npx lab down` and `npx lab up` for a fresh Vault');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    // Never the parse error's text: it quotes the file, and the file holds the root token.
    const code = (err as NodeJS.ErrnoException).code;
    throw code ? broken(`cannot be read (${code})`) : broken('is not valid JSON (torn or edited?)');
  }
  const r = raw as { unsealKey?: unknown; rootToken?: unknown };
  if (!r || typeof r.unsealKey !== 'string' || typeof r.rootToken !== 'string') throw broken('lacks unsealKey or rootToken');
  return { unsealKey: new Secret(r.unsealKey, 'vault unseal key'), rootToken: new Secret(r.rootToken, 'vault root token') };
}

/** Atomic: a temp file (0600 from creation), fsynced, renamed over the old one; a crash leaves one or the other, never half. */
export function saveCredentials(c: VaultCredentials, clusterName?: string): void {
  const file = credentialsFile(clusterName);
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify({ unsealKey: c.unsealKey.reveal(), rootToken: c.rootToken.reveal() }));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  const dir = openSync(dirname(file), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** Initialises Vault once (keys kept 0600 in the state folder, never printed) and unseals it when sealed. */
export async function ensureVaultUnsealed(port: number, clusterName?: string): Promise<VaultCredentials> {
  let health = await vaultHealth(port);
  let creds = loadCredentials(clusterName);
  if (!health.initialized) {
    const res = (await vaultClient(port).init({ secret_shares: 1, secret_threshold: 1 })) as { keys: string[]; root_token: string };
    creds = { unsealKey: new Secret(res.keys[0] ?? '', 'vault unseal key'), rootToken: new Secret(res.root_token, 'vault root token') };
    saveCredentials(creds, clusterName);
    health = await vaultHealth(port);
  }
  if (!creds) {
    throw new LabError(
      'Vault is initialised but the lab has no unseal key for it (the state folder was removed?)',
      'run `npx lab down` and `npx lab up` to start over with a fresh Vault',
    );
  }
  if (health.sealed) await vaultClient(port).unseal({ secret_shares: 1, key: creds.unsealKey.reveal() });
  return creds;
}

/** Enables a KV v1 engine at lab/ if missing, writes and reads back a value; returns the read latency. */
export async function vaultKvRoundTrip(port: number, token: Secret): Promise<number> {
  const v = vaultClient(port, token);
  const mounts = (await v.mounts()) as Record<string, unknown>;
  if (!('lab/' in mounts) && !('lab/' in ((mounts.data as Record<string, unknown>) ?? {}))) {
    await v.mount({ mount_point: 'lab', type: 'kv', description: 'outage-lab probes' });
  }
  const value = String(Date.now());
  await v.write('lab/probe', { value });
  const started = performance.now();
  const got = (await v.read('lab/probe')) as { data?: { value?: string } };
  const ms = performance.now() - started;
  if (got.data?.value !== value) throw new Error(`Vault KV round trip read ${JSON.stringify(got.data?.value)}, wrote ${value}`);
  return ms;
}
