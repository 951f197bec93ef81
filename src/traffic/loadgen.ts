// An open-loop load generator: requests start on a fixed schedule whatever the previous ones are doing,
// as users do, so a slow LB shows up as timeouts rather than as a politely lower rate. Every run is
// bounded in rate, count and time; each request opens its own connection so a refused LB is seen per
// request and a reload's closed keep-alive connection is never mistaken for a user-facing error.
import { request } from 'node:http';
import { LabError } from '../util/errors.ts';
import { classify, TIMEOUT_CODE, type Outcome } from './classify.ts';
import { SecondBuckets, type TrafficSecond } from './seconds.ts';
import { assertLabTarget } from './target.ts';

/**
 * A request more than this late for its scheduled time is not sent but counted as skipped in its second.
 * When the host stalls the generator (2 cores under a flood), sending every missed request on waking
 * turned 20 requests/s into bursts of 80 in one second: a load the scenario never asked for, aimed at the
 * LB at its worst moment. Skipped requests are unknown outcomes in the analysis.
 */
export const LATE_MS = 1_000;

export const LOAD_LIMITS = { maxRatePerSec: 200, maxDurationMs: 6 * 3600_000, maxRequests: 2_000_000, maxTimeoutMs: 30_000 } as const;

export interface LoadOptions {
  url: string;
  /** The Host header: the LB routes on it to the Consul service of that name. */
  service: string;
  ratePerSec: number;
  durationMs: number;
  /** Stop after this many requests even if time is left. */
  maxRequests?: number;
  timeoutMs: number;
  /** Addresses on the lab's own networks the target may have besides loopback. */
  labAddresses?: readonly string[];
  onSecond: (s: TrafficSecond) => void;
  signal?: AbortSignal;
}

export interface LoadSummary {
  sent: number;
  ok: number;
  /** Scheduled but never sent: the generator was stalled past LATE_MS. */
  skipped: number;
}

function check(o: LoadOptions): URL {
  const url = new URL(o.url);
  assertLabTarget(url, o.labAddresses);
  const bad = (what: string) => {
    throw new LabError(`load generator: ${what}`);
  };
  if (!(o.ratePerSec > 0 && o.ratePerSec <= LOAD_LIMITS.maxRatePerSec)) bad(`rate must be in (0, ${LOAD_LIMITS.maxRatePerSec}] requests/s, got ${o.ratePerSec}`);
  if (!(o.durationMs > 0 && o.durationMs <= LOAD_LIMITS.maxDurationMs)) bad(`duration must be in (0, ${LOAD_LIMITS.maxDurationMs}] ms, got ${o.durationMs}`);
  if (!(o.timeoutMs > 0 && o.timeoutMs <= LOAD_LIMITS.maxTimeoutMs)) bad(`timeout must be in (0, ${LOAD_LIMITS.maxTimeoutMs}] ms, got ${o.timeoutMs}`);
  const max = o.maxRequests ?? LOAD_LIMITS.maxRequests;
  if (!(Number.isInteger(max) && max > 0 && max <= LOAD_LIMITS.maxRequests)) bad(`maxRequests must be an integer in [1, ${LOAD_LIMITS.maxRequests}], got ${max}`);
  return url;
}

/** One request, always settled within `timeoutMs` (plus a tick). */
export function oneRequest(url: URL, service: string, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    const req = request(url, { method: 'GET', agent: false, headers: { host: service, connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () =>
        settle({
          kind: 'response',
          status: res.statusCode ?? 0,
          fromServer: res.headers['x-lb-from-server'] !== undefined,
          lbServer: String(res.headers['x-lb-server'] ?? ''),
        }),
      );
      res.on('error', (e: NodeJS.ErrnoException) => settle({ kind: 'error', code: e.code ?? 'ERESPONSE' }));
    });
    const timer = setTimeout(() => {
      settle({ kind: 'error', code: TIMEOUT_CODE });
      req.destroy();
    }, timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => settle({ kind: 'error', code: e.code ?? 'EREQUEST' }));
    req.end();
  });
}

export async function runLoad(o: LoadOptions): Promise<LoadSummary> {
  const url = check(o);
  const max = o.maxRequests ?? LOAD_LIMITS.maxRequests;
  const buckets = new SecondBuckets(url.host);
  const t0 = Date.now();
  const pending = new Set<Promise<void>>();
  let started = 0;
  let sent = 0;
  let ok = 0;
  let skipped = 0;
  const emit = (all = false) => {
    for (const s of buckets.take(Date.now(), all)) {
      sent += s.sent;
      ok += s.ok;
      skipped += s.skipped ?? 0;
      o.onSecond(s);
    }
  };
  while (!o.signal?.aborted && started < max) {
    const elapsed = Date.now() - t0;
    if (elapsed >= o.durationMs) break;
    const due = Math.min(max, Math.floor((elapsed / 1000) * o.ratePerSec) + 1);
    for (; started < due; started++) {
      const scheduled = t0 + Math.floor((started * 1000) / o.ratePerSec);
      const begin = Date.now();
      if (begin - scheduled > LATE_MS) {
        buckets.skip(scheduled);
        continue;
      }
      const end = buckets.start(scheduled);
      const p = oneRequest(url, o.service, o.timeoutMs).then((out) => end(classify(out), Date.now() - begin));
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
    emit();
    await new Promise((r) => setTimeout(r, Math.max(1, Math.min(50, 1000 / o.ratePerSec))));
  }
  await Promise.all(pending);
  emit(true);
  return { sent, ok, skipped };
}
