// What users felt, from small hand-written histories: traffic seconds through the LB and looks at the LB
// against the pods Kubernetes runs. Phases (analysis-helpers): baseline 0-60, cut 60, hold 60-120, restore
// 120, flood 120-180, observe 180-300 s, so the window's minutes are exactly the helpers' minutes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeRun, isUnknown, summaryToJson } from '../../src/analysis/index.ts';
import { ERROR_MINUTE_THRESHOLD } from '../../src/analysis/users.ts';
import { APP_NAMESPACE } from '../../src/analysis/users-lb.ts';
import { WORKLOAD_NS } from '../../src/workload/render.ts';
import { T0, at, history, phases, pod } from './analysis-helpers.ts';

type Entry = Parameters<typeof history>[number];
const RATE = 20;

/** One traffic record a second for [from, to) s: `fail(t)` failed requests of RATE (as `cls`), latency p50/p99. */
function traffic(from: number, to: number, fail: (t: number) => number = () => 0, opts: { cls?: string; p50?: (t: number) => number; skip?: (t: number) => boolean } = {}): Entry[] {
  const out: Entry[] = [];
  for (let t = from; t < to; t++) {
    if (opts.skip?.(t)) continue;
    const failed = fail(t);
    const ok = RATE - failed;
    const p50 = opts.p50?.(t) ?? 3;
    out.push({ t, type: 'traffic', source: 'loadgen', sent: RATE, ok, errors: failed ? { [opts.cls ?? 'dead-backend']: failed } : {}, ...(ok ? { p50Ms: p50, p99Ms: p50 * 3, maxMs: p50 * 4 } : {}) } as Entry);
  }
  return out;
}

const run = (...entries: Entry[]) => analyzeRun({ records: history(...phases(), ...entries), recovery: { sustainMs: 30_000 } });
const usersOf = (...entries: Entry[]) => {
  const u = run(...entries).summary.users;
  assert.ok(u, 'a run with traffic records has a users section');
  return u;
};

test('the error-minute threshold is one named constant, 5 %, and the summary says it', () => {
  assert.equal(ERROR_MINUTE_THRESHOLD, 0.05);
  assert.equal(usersOf(...traffic(0, 300)).errorMinuteThreshold, 0.05);
});

test('a minute is a user-facing error minute only when MORE than 5 % of its requests failed', () => {
  // 1200 requests a minute: 60 failed is exactly 5 % (not an error minute), 61 is above.
  assert.equal(usersOf(...traffic(0, 300)).errorMinutes, 0);
  const edge = usersOf(...traffic(0, 300, (t) => (t >= 60 && t < 120 && t < 63 ? 20 : 0)));
  assert.equal(edge.minutes[1]!.failed, 60);
  assert.equal(edge.minutes[1]!.errorMinute, false, 'exactly 5 % is not above 5 %');
  assert.equal(edge.errorMinutes, 0);
  const over = usersOf(...traffic(0, 300, (t) => (t >= 60 && t < 63 ? 20 : t === 63 ? 1 : 0)));
  assert.equal(over.minutes[1]!.failed, 61);
  assert.equal(over.minutes[1]!.errorMinute, true);
  assert.equal(over.errorMinutes, 1);
  assert.deepEqual(over.minutes.map((m) => [(m.from - T0) / 1000, (m.to - T0) / 1000]), [[0, 60], [60, 120], [120, 180], [180, 240], [240, 300]]);
});

test('the worst minute: the highest error share, when it was, and the earliest of equals', () => {
  const u = usersOf(...traffic(0, 300, (t) => (t >= 130 && t < 136 ? 20 : t >= 200 && t < 203 ? 20 : t >= 250 && t < 256 ? 20 : 0)));
  const w = u.worstMinute!;
  assert.equal(w.errorShare, 120 / 1200);
  assert.equal((w.from - T0) / 1000, 120, 'the flood minute; the minute at 240 s is as bad but later');
  assert.equal((w.to - T0) / 1000, 180);
  assert.equal(u.errorMinutes, 2);
  assert.equal(u.total.errors['dead-backend'], 300);
  assert.equal(u.total.availability, 1 - 300 / 6000);
});

test('errors by class over the run and by phase; latency of the successes by phase', () => {
  const u = usersOf(
    ...traffic(0, 120, () => 0, { p50: () => 2 }),
    ...traffic(120, 180, (t) => (t < 130 ? 20 : 2), { cls: 'timeout', p50: () => 40 }),
    ...traffic(180, 300, (t) => (t < 185 ? 1 : 0), { cls: 'no-backend', p50: () => 4 }),
  );
  assert.deepEqual(u.byPhase.flood!.errors, { timeout: 200 + 50 * 2 });
  assert.deepEqual(u.byPhase.observe!.errors, { 'no-backend': 5 });
  assert.deepEqual(u.total.errors, { timeout: 300, 'no-backend': 5 });
  assert.equal(u.byPhase.baseline!.p50Ms, 2);
  assert.equal(u.byPhase.flood!.p50Ms, 40);
  assert.equal(u.byPhase.flood!.p99Ms, 120);
  assert.equal(u.byPhase.observe!.p50Ms, 4);
  assert.equal(u.byPhase.baseline!.availability, 1);
});

test('users recovered: the start of the last good stretch after the restore, not the first calm moment (it dipped again)', () => {
  const bad = (t: number) => (t >= 120 && t < 140) || (t >= 170 && t < 190);
  const u = usersOf(...traffic(0, 300, (t) => (bad(t) ? 10 : 0)));
  assert.equal(u.recovery.status, 'recovered');
  assert.equal(u.recovery.timeToRecoverMs, 70_000, 'back at 190 s, 70 s after the restore; 140 s was only a lull');
  assert.equal(u.recovery.baseline.errorShare, 0);
  // Latency counts too: successes ten times slower than the baseline are not back. As for the platform, it
  // is the window's median that must be back: the 30 s window from 185 s holds 15 slow and 15 fast seconds.
  const slow = usersOf(...traffic(0, 300, () => 0, { p50: (t) => (t >= 120 && t < 200 ? 30 : 3) }));
  assert.equal(slow.recovery.timeToRecoverMs, 65_000);
  const calm = usersOf(...traffic(0, 300));
  assert.equal(calm.recovery.status, 'never-disrupted');
  assert.equal(calm.recovery.timeToRecoverMs, 0);
});

test('seconds without a traffic record are unknown, never zero errors', () => {
  // Minute 60-120: 10 s missing, 2 % of the recorded requests failed: the missing 200 could make it 5 % or not.
  const u = usersOf(...traffic(0, 300, (t) => (t >= 70 && t < 90 ? 1 : t >= 130 && t < 160 ? 20 : 0), { skip: (t) => (t >= 100 && t < 110) || t === 150 }));
  assert.deepEqual(u.missing.map((m) => [(m.from - T0) / 1000, (m.to - T0) / 1000]), [[100, 110], [150, 151]]);
  const m = u.minutes[1]!;
  assert.equal(m.missingSeconds, 10);
  assert.equal(m.errorMinute, 'unknown');
  assert.ok(m.low! < 0.05 && m.high! > 0.05);
  // Minute 120-180 is an error minute whatever its one missing second held.
  assert.equal(u.minutes[2]!.errorMinute, true);
  assert.ok(isUnknown(u.errorMinutes));
  assert.equal(u.errorMinutes.observed, 1);
  assert.equal(u.errorMinutes.bound, 'lower');
  assert.ok(isUnknown(u.total.availability));
  assert.equal(u.byPhase.baseline!.availability, 1, 'a phase with every second recorded stays exact');
  // The worst minute is the flood's; it lacks a second, so its share is at least what was seen.
  assert.ok(isUnknown(u.worstMinute!.errorShare));
  assert.equal(u.worstMinute!.errorShare.bound, 'lower');
  // A recovery window with a missing second is blind, not healthy.
  const r = usersOf(...traffic(0, 300, (t) => (t >= 120 && t < 130 ? 20 : 0), { skip: (t) => t >= 200 && t < 290 }));
  assert.equal(r.recovery.timeToRecoverMs, 10_000, 'back at 130 s; the silence after 200 s neither breaks nor proves it');
});

test('a silence of the traffic records is a listed blind spot', () => {
  const { summary } = run(...traffic(0, 300, () => 0, { skip: (t) => t >= 150 && t < 200 }));
  assert.ok(summary.gaps.some((g) => g.affects.includes('traffic') && g.inferred && (g.from - T0) / 1000 === 149));
});

// ---- the LB against the pods ---------------------------------------------------------------------
const app = (t: number, name: string, fields: Record<string, unknown> = {}): Entry => pod(t, name, { ns: 'devenv', name, phase: 'Running', ...fields });
const look = (t: number, servers: string[], rendered: number, extra: Record<string, unknown> = {}): Entry =>
  ({ t, type: 'lb', source: 'lb/stats', backend: 'be_devenv', rendered: at(rendered), servers: servers.map((n, i) => ({ name: `${n}:devenv-${i}`, address: `10.0.0.${i}:8080`, status: 'no check' })), ...extra }) as Entry;
const looks = (from: number, to: number, servers: (t: number) => string[], rendered: (t: number) => number): Entry[] => {
  const out: Entry[] = [];
  for (let t = from; t < to; t++) out.push(look(t, servers(t), rendered(t)));
  return out;
};

test('the app namespace the LB analysis reads is the workload\u2019s', () => {
  assert.equal(APP_NAMESPACE, WORKLOAD_NS);
});

test('stale LB: a backend for an evicted pod kept 20 s without a render, a new pod missing for 8 s', () => {
  const u = usersOf(
    ...traffic(0, 300),
    app(0, 'a'),
    app(0, 'b'),
    app(0, 'c'),
    // Marked evicted while its phase still reads Running (the kubelet has not reported it Failed yet).
    app(130, 'a', { evicted: true }),
    // A later status update without the mark: an evicted pod does not come back.
    app(135, 'a'),
    app(131, 'd', { phase: 'Pending' }),
    app(140, 'd'),
    // Consul (drowning) keeps a until 150; consul-template renders then, without d until 148.
    ...looks(0, 300, (t) => (t < 150 ? ['a', 'b', 'c'] : ['b', 'c']).concat(t >= 148 ? ['d'] : []), (t) => (t < 148 ? 0 : t < 150 ? 148 : 150)),
  );
  const lb = u.lb!;
  assert.equal(lb.stale.length, 1);
  const s = lb.stale[0]!;
  assert.deepEqual([(s.from - T0) / 1000, (s.to - T0) / 1000, s.open], [130, 150, false]);
  assert.equal(s.maxGone, 1);
  assert.equal(s.maxMissing, 1);
  assert.equal(s.renders, 2, 'the render that added d, and the one that removed a');
  assert.equal(s.frozenMs, 18_000, 'from the eviction at 130 to the first new config at 148');
  assert.equal(lb.longestStaleMs, 20_000);
  assert.equal(lb.longestFrozenMs, 18_000);
  assert.equal(lb.failedLooks, 0);
});

test('an LB that matches the pods is never stale; pods of other namespaces and DaemonSets do not count', () => {
  const u = usersOf(
    ...traffic(0, 300),
    app(0, 'a'),
    pod(0, 'consul-server-0', { ns: 'lab', name: 'consul-server-0', phase: 'Running' }),
    app(0, 'node-agents-x', { ownerKind: 'DaemonSet' }),
    ...looks(0, 300, () => ['a'], () => 0),
  );
  assert.deepEqual(u.lb!.stale, []);
  assert.equal(u.lb!.longestStaleMs, 0);
});

test('failed LB looks are counted, and a stale stretch they interrupt is only a bound', () => {
  const entries = [
    ...traffic(0, 300),
    app(0, 'a'),
    app(0, 'b'),
    app(130, 'b', { deletionTimestamp: at(160) }),
    ...looks(0, 300, (t) => (t < 160 ? ['a', 'b'] : ['a']), () => 0).map((e) => (e.t >= 140 && e.t < 145 ? ({ ...e, servers: undefined, rendered: undefined, error: 'GET /stats;csv: timeout' } as Entry) : e)),
  ];
  const lb = usersOf(...entries).lb!;
  assert.equal(lb.failedLooks, 5);
  assert.equal(lb.longestFailedMs, 5_000);
  assert.equal(lb.stale[0]!.blindLooks, 5);
  assert.ok(isUnknown(lb.longestStaleMs));
  assert.equal(lb.longestStaleMs.observed, 15_000, 'at least 145-160 s for sure; 130-160 s if it stayed stale while unseen');
  assert.equal(lb.longestStaleMs.bound, 'lower');
  assert.match(lb.longestStaleMs.reason, /5 LB look\(s\) failed/);
});

test('still stale when the run ends: a lower bound', () => {
  const lb = usersOf(...traffic(0, 300), app(0, 'a'), app(250, 'a', { event: 'deleted' }), ...looks(0, 300, () => ['a'], () => 0)).lb!;
  assert.equal(lb.stale[0]!.open, true);
  assert.ok(isUnknown(lb.longestStaleMs));
  assert.equal(lb.longestStaleMs.bound, 'lower');
  assert.equal(lb.longestStaleMs.observed, 49_000);
});

test('a run without traffic records has no users section and summarises exactly as without this analysis', () => {
  const a = run();
  assert.equal(a.summary.users, undefined);
  assert.equal(a.series.users, undefined);
  assert.doesNotMatch(summaryToJson(a.summary), /users/);
  // LB looks alone (no traffic) are not users' traffic either.
  assert.equal(run(look(10, ['a'], 0)).summary.users, undefined);
});

test('summary.json writes the users\u2019 instants as UTC', () => {
  const json = JSON.parse(summaryToJson(run(...traffic(0, 300, (t) => (t >= 130 && t < 136 ? 20 : 0))).summary));
  assert.equal(json.users.worstMinute.from, at(120));
  assert.equal(json.users.window.to, at(300));
});

test('requests a stalled generator skipped are unknown outcomes: they can make a minute undecided, never error-free', () => {
  // Minute 60-120: 40 s of 20 requests with 30 failed in all (30 of 800 sent = 3.75 %), and 20 s whose 400
  // scheduled requests were skipped. Counted as ok the share is 30/1200 = 2.5 %; as failed 430/1200: open.
  const stalled = (t: number) => t >= 100 && t < 120;
  const entries = traffic(0, 300, (t) => (t >= 60 && t < 63 ? 10 : 0), { skip: stalled });
  for (let t = 100; t < 120; t++) entries.push({ t, type: 'traffic', source: 'loadgen', sent: 0, ok: 0, skipped: RATE, errors: {} } as Entry);
  const u = usersOf(...entries);
  const m = u.minutes[1]!;
  assert.equal(m.skipped, 400);
  assert.equal(m.missingSeconds, 0, 'the seconds have records; their requests are what is unknown');
  assert.equal(m.errorMinute, 'unknown');
  assert.ok(isUnknown(u.errorMinutes), 'the count is a lower bound, not 0');
  // The same minute with every request sent and 30 failed is decided: not an error minute.
  assert.equal(usersOf(...traffic(0, 300, (t) => (t >= 60 && t < 63 ? 10 : 0))).minutes[1]!.errorMinute, false);
});
