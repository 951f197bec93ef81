import type Consul from 'consul';
import type { RecordInput } from '../history/records.ts';
import type { Secret } from '../secrets/secret.ts';
import { SERF_STATUS } from '../components/consul.ts';
import { vaultClient } from '../components/vault.ts';

type Emit = (r: RecordInput) => void;

function errText(err: unknown): string {
  return ((err as Error)?.message ?? String(err)).split('\n')[0]!.slice(0, 200);
}

/**
 * The pool as one server sees it, and how fast Consul answers. `observer` names whose view it is: with
 * split clusters each cluster's Consul has a pool of its own, and the records must tell them apart. A server's LAN member list is the view that
 * matters: it is what every agent's gossip converges to, phantom members included.
 */
export async function probeConsul(c: Consul, emit: Emit, observer = 'consul-server (via NodePort)'): Promise<void> {
  const ts = new Date().toISOString();
  const started = performance.now();
  try {
    const members = (await c.agent.members()) as unknown as Array<{ Name: string; Status: number }>;
    const counts = { alive: 0, leaving: 0, left: 0, failed: 0, suspect: 0 };
    const failed: string[] = [];
    for (const m of members) {
      const st = SERF_STATUS[m.Status];
      if (st && st !== 'none') counts[st]++;
      if (st === 'failed') failed.push(m.Name);
    }
    emit({ type: 'consul-members', source: 'probe/consul', ts, counts, total: members.length, observer, failed });
    emit({ type: 'consul-latency', source: 'probe/consul', ts, op: 'members', ms: performance.now() - started });
  } catch (err) {
    emit({ type: 'consul-latency', source: 'probe/consul', ts, op: 'members', error: errText(err) });
  }
  const kvStarted = performance.now();
  try {
    await c.kv.get('outage-lab/probe');
    emit({ type: 'consul-latency', source: 'probe/consul', op: 'kv-read', ms: performance.now() - kvStarted });
  } catch (err) {
    emit({ type: 'consul-latency', source: 'probe/consul', op: 'kv-read', error: errText(err) });
  }
}

/**
 * Vault's health and a KV read: a sealed or Consul-starved Vault shows here as errors and latency. The
 * client is made once per recorder, not per tick: building one per second was part of the recorder's cost.
 */
export function vaultProbe(port: number, token: Secret | undefined): (emit: Emit) => Promise<void> {
  const v = vaultClient(port, token);
  return (emit) => probeVault(v, token !== undefined, emit);
}

async function probeVault(v: ReturnType<typeof vaultClient>, hasToken: boolean, emit: Emit): Promise<void> {
  const started = performance.now();
  try {
    const h = (await v.health({ standbycode: 200, sealedcode: 200, uninitcode: 200, perfstandbycode: 200 })) as Record<string, unknown>;
    emit({
      type: 'vault-health',
      source: 'probe/vault',
      initialized: h.initialized === true,
      sealed: h.sealed === true,
      standby: h.standby === true,
      ms: performance.now() - started,
    });
  } catch (err) {
    emit({ type: 'vault-health', source: 'probe/vault', initialized: null, sealed: null, standby: null, ms: performance.now() - started, error: errText(err) });
  }
  if (!hasToken) return;
  const kvStarted = performance.now();
  try {
    await v.read('lab/probe');
    emit({ type: 'vault-latency', source: 'probe/vault', op: 'kv-read', ms: performance.now() - kvStarted });
  } catch (err) {
    emit({ type: 'vault-latency', source: 'probe/vault', op: 'kv-read', error: errText(err) });
  }
}

/** Gossip traffic as the server sees it: cumulative counters from Consul's Prometheus-format telemetry. */
export async function probeConsulTelemetry(port: number, emit: Emit, observer = 'consul-server (via NodePort)'): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/agent/metrics?format=prometheus`, { signal: AbortSignal.timeout(15_000) });
  if (!res.ok) throw new Error(`consul telemetry: HTTP ${res.status}`);
  const text = await res.text();
  const counters: Record<string, number> = {};
  const gauges: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(consul_(?:memberlist|serf)_[a-z_]+?)(?:_count|_sum|_total)?(\{[^}]*\})? ([0-9.eE+-]+)$/.exec(line);
    if (!m) continue;
    const name = m[1]!.replace(/^consul_/, '').replaceAll('_', '.') + (line.includes('_sum') ? '.sum' : line.includes('_count') ? '.count' : '');
    const v = Number(m[3]);
    if (!Number.isFinite(v)) continue;
    if (/^consul_(memberlist|serf)_[a-z_]+(_count|_sum|_total)/.test(line)) counters[name] = (counters[name] ?? 0) + v;
    else gauges[name] = (gauges[name] ?? 0) + v;
  }
  emit({ type: 'consul-telemetry', source: 'probe/consul-telemetry', observer, counters, gauges });
}
