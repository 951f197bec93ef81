// One look at a running LB through its stats port: the servers of one service's backend and when the
// config it serves was rendered. Reads are bounded: an LB that does not answer is a record with an
// error, never a hang of the recorder.
import type { LbRecord } from '../history/records.ts';
import { backendOf, parseStatsCsv } from './stats.ts';

export type LbView = Omit<LbRecord, 'ts' | 'seq' | 'source'>;

async function get(url: string, timeoutMs: number): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return res.text();
}

export async function readLb(statsBase: string, service: string, timeoutMs = 2_000): Promise<LbView> {
  const backend = backendOf(service);
  try {
    const [csv, render] = await Promise.all([get(`${statsBase}/stats;csv`, timeoutMs), get(`${statsBase}/lb/render`, timeoutMs)]);
    const rendered = (JSON.parse(render) as { rendered?: string }).rendered;
    const servers = parseStatsCsv(csv).get(backend) ?? [];
    return { type: 'lb', backend, servers, ...(rendered ? { rendered } : {}) };
  } catch (e) {
    return { type: 'lb', backend, error: (e as Error).message };
  }
}

/** The Consul node a server name stands for (`<node>:<service id>`): the pod, in the sidecar variant. */
export const serverNode = (name: string) => name.slice(0, name.lastIndexOf(':') >= 0 ? name.lastIndexOf(':') : name.length);
