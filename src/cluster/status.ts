import { isForeign } from './foreign/target.ts';
import { capture } from '../util/exec.ts';
import { stateDir } from '../util/paths.ts';
import { FaultJournal } from '../faults/journal.ts';
import { consulClient, consulKvRoundTrip, consulLeader, consulVersion, memberCounts } from '../components/consul.ts';
import { kafkaRoundTrip } from '../components/kafka.ts';
import { loadCredentials, vaultHealth, vaultKvRoundTrip } from '../components/vault.ts';
import { clients } from './kube.ts';
import { isReady } from './nodes.ts';
import type { ClusterSettings } from './settings.ts';
import { labClusters, type LabState } from './state.ts';

export interface StatusRow {
  [k: string]: string;
}

export function table(rows: StatusRow[]): string {
  if (rows.length === 0) return '(none)';
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((v, i) => v.padEnd(width[i]!)).join('  ').trimEnd();
  return [line(cols.map((c) => c.toUpperCase())), ...rows.map((r) => line(cols.map((c) => r[c] ?? '')))].join('\n');
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ok: true; value: T; ms: number } | { ok: false; error: string; ms: number }> {
  const t = performance.now();
  try {
    const value = await fn();
    return { ok: true, value, ms: performance.now() - t };
  } catch (err) {
    return { ok: false, error: (err as Error).message.split('\n')[0] ?? 'error', ms: performance.now() - t };
  }
}

export async function nodeRows(state: LabState): Promise<StatusRow[]> {
  // A foreign cluster's nodes are not containers on this host: their CPU is the kubelet's, in a replay.
  const stats = isForeign() ? '' : await capture('docker', ['stats', '--no-stream', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}}']).catch(() => '');
  const byName = new Map(stats.split('\n').map((l) => [l.split(' ')[0], l.split(' ').slice(1).join(' ')] as const));
  const rows: StatusRow[] = [];
  // Node names carry their cluster's name, so one table serves one cluster or two.
  for (const cluster of labClusters(state)) {
    const nodes = (await clients({ clusterName: cluster.name }).core.listNode()).items;
    for (const n of nodes) {
      const name = n.metadata?.name ?? '?';
      const [cpu = '?', ...mem] = (byName.get(name) ?? '? ?').split(' ');
      rows.push({ node: name, ready: isReady(n) ? 'Ready' : 'NotReady', cpu, memory: mem.join(' '), version: n.status?.nodeInfo?.kubeletVersion ?? '?' });
    }
  }
  return rows;
}

export async function componentRows(state: LabState): Promise<StatusRow[]> {
  const rows: StatusRow[] = [];
  const k = await timed(() => kafkaRoundTrip(state.kafka));
  rows.push({ component: 'kafka', health: k.ok ? `ok, ${state.kafkaPlacement}` : `DOWN (${state.kafkaPlacement}): ${k.error}`, version: state.images.kafka?.split(':')[1] ?? '?', probe: `${k.ms.toFixed(0)} ms round trip` });
  const clusters = labClusters(state);
  for (const s of clusters) rows.push(...(await platformRows(s, clusters.length > 1)));
  return rows;
}

/** One cluster's Consul and Vault; named after their cluster when the lab has two. */
async function platformRows(s: ClusterSettings, named: boolean): Promise<StatusRow[]> {
  const of = named ? ` (${s.name})` : '';
  const consul = consulClient(s.consulHostPort);
  const rows: StatusRow[] = [];
  const probe = () => timed(async () => ({ v: await consulVersion(consul), m: await memberCounts(consul), kv: await consulKvRoundTrip(consul) }));
  // One more try after a timeout: the first request through a fresh port-forward (a foreign cluster) pays
  // for the forward's set-up through the API server, which on a loaded 2-core host alone passed 5 s. The
  // row says so; a second timeout is DOWN.
  const first = await probe();
  const cv = !first.ok && /timed out/.test(first.error) ? await probe() : first;
  const retried = cv !== first ? ` (answered a second try; the first ${first.ok ? '' : first.error})` : '';
  // A write held through an election times out like a dead server; the leader query is answered locally.
  const why = cv.ok ? '' : await consulLeader(consul).then((l) => (l ? ` (leader ${l})` : ' (no Consul leader: an election is under way)'), () => '');
  rows.push({
    component: `consul${of}`,
    health: cv.ok ? `ok, pool ${cv.value.m.alive} alive / ${cv.value.m.failed} failed / ${cv.value.m.left} left${retried}` : `DOWN: ${cv.error}${why}`,
    version: cv.ok ? cv.value.v : '?',
    probe: cv.ok ? `${cv.value.kv.toFixed(1)} ms KV read` : `${cv.ms.toFixed(0)} ms`,
  });
  const vh = await timed(() => vaultHealth(s.vaultHostPort));
  const creds = loadCredentials(s.name);
  const vkv = vh.ok && !vh.value.sealed && creds ? await timed(() => vaultKvRoundTrip(s.vaultHostPort, creds.rootToken)) : undefined;
  rows.push({
    component: `vault${of}`,
    health: vh.ok ? (vh.value.sealed ? 'SEALED' : vh.value.initialized ? 'ok, unsealed' : 'not initialised') : `DOWN: ${vh.error}`,
    version: vh.ok ? vh.value.version : '?',
    probe: vkv ? (vkv.ok ? `${vkv.ms.toFixed(1)} ms KV read` : `KV failed: ${vkv.error}`) : '-',
  });
  return rows;
}

export function faultRows(): StatusRow[] {
  const j = FaultJournal.open(stateDir);
  // A heal-failed fault says why: what could not be verified is what the user has to look at.
  return j.unhealed().map((e) => ({ fault: e.fault, id: e.id, state: e.state, since: e.at, pid: String(e.pid), why: e.state === 'heal-failed' ? String(e.info?.error ?? '') : '' }));
}
