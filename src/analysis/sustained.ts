// "Back, and staying back": the search every recovery time shares (the platform's in recovery.ts, the
// users' in users.ts), so "recovered" means one thing on the whole page.
import { type Maybe, unknown } from './unknown.ts';

/** A criterion over [from, to): holds, broken, or not observable there. */
export type Check = (from: number, to: number) => boolean | 'blind';

export interface SustainedSearch {
  disruptedAt: number | undefined;
  recoveredAt: number | undefined;
  sawBlind: boolean;
}

export interface SearchWindow {
  /** Where the clock starts (the flood start). */
  from: number;
  /** Last window start searched. */
  lastStart: number;
  stepMs: number;
  sustainMs: number;
}

/**
 * Recovered = the start of the last healthy stretch that lasts to the end of the search. The first
 * healthy window after a disruption is not enough: a rate-limited flush read "recovered 3 s after the
 * flood" from a calm moment before its nodes came under pressure at 46 s.
 */
export function searchSustained(fns: readonly Check[], w: SearchWindow): SustainedSearch {
  let disruptedAt: number | undefined;
  let healthySince: number | undefined;
  let sawBlind = false;
  for (let t = w.from; t <= w.lastStart; t += w.stepMs) {
    const verdicts = fns.map((f) => f(t, t + w.sustainMs));
    if (verdicts.some((v) => v === false)) {
      disruptedAt ??= t;
      healthySince = undefined;
    } else if (verdicts.some((v) => v === 'blind')) {
      sawBlind = true;
    } else if (disruptedAt !== undefined) {
      healthySince ??= t;
    }
  }
  return { disruptedAt, recoveredAt: healthySince, sawBlind };
}

/** The search as a time from `flood`: 0 never disrupted, null not within the timeout, Unknown when the history could not say. */
export function sustainedVerdict(r: SustainedSearch, o: { flood: number; end: number; timeoutMs: number; sustainMs: number }): Maybe<number | null> {
  const { flood, end, timeoutMs, sustainMs } = o;
  if (r.disruptedAt === undefined) return r.sawBlind ? unknown('no disruption seen, but the recorder was blind part of the time') : 0;
  if (r.recoveredAt !== undefined) return r.recoveredAt - flood;
  if (end - flood < timeoutMs + sustainMs) {
    return unknown(`not recovered when the history ends, ${Math.round((end - flood) / 1000)} s after the flood started (timeout ${Math.round(timeoutMs / 1000)} s)`, end - flood, 'lower');
  }
  if (r.sawBlind) return unknown(`not recovered within the timeout, but the recorder was blind part of the time`, timeoutMs, 'lower');
  return null;
}
