import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CellResult } from '../../src/phantom/cell.ts';
import { phantomHtml, summarize } from '../../src/phantom/report.ts';

function cell(members: number, encrypt: boolean, cpu: number): CellResult {
  const none = { pushPullPerMin: null, pushPullMeanMs: null, pushPullBytes: null, suspectPerMin: null, deadPerMin: null, alivePerMin: null, gossipMeanMs: null, udpSentPerMin: null };
  const counts = { total: members, alive: 8, leaving: 0, left: 0, failed: members - 8, none: 0 };
  return {
    key: `1.8.7/${encrypt ? 'encrypted' : 'plain'}/${members}/r1`, version: '1.8.7', encrypt, members, repeat: 1, image: 'x', startedAt: '',
    params: { live: 4, phantoms: members - 4, containers: 2, batch: 20, ratePerS: 10, holdS: 45 },
    pool: { atHold: counts, atEnd: counts, phantomsReapedDuringHold: 0 },
    churnMs: 1, settleMs: 1, batchJoinP50Ms: 1,
    servers: { cpuPct: cpu, memMiB: 20 }, agents: { cpuPctPerLive: 1, rssMiB: 50, processes: 4 },
    gossip: { server: { ...none, pushPullBytes: members * 10 }, probe: none }, metricIntervals: 4,
    telemetry: { server: {}, probe: {}, probeIntervals: 4 },
    kv: { n: 10, p50Ms: 5, p99Ms: 9, errors: 0 }, detectMs: 5000, joinMs: 700, load: { atHold: 1, atEnd: 1 },
  };
}

test('the summary fits each version and encryption on the members the servers listed, and the page plots it', () => {
  const results = [50, 200, 800].flatMap((m) => [cell(m, false, m / 100), cell(m, true, m / 50)]);
  const s = summarize(results);
  assert.equal(s.rows.length, 6);
  const cpuPlain = s.models.find((m) => m.group === '1.8.7 plain' && m.metric === 'serverCpuPct')!;
  const cpuEnc = s.models.find((m) => m.group === '1.8.7 encrypted' && m.metric === 'serverCpuPct')!;
  assert.ok(Math.abs(cpuPlain.fit!.b - 1) < 1e-9);
  assert.ok(Math.abs(cpuPlain.at41k!.mid - 410) < 1e-6);
  assert.ok(Math.abs(cpuEnc.at41k!.mid - 820) < 1e-6);
  assert.equal(s.models.find((m) => m.metric === 'pushPullMs')!.fit, null, 'no push/pull durations, no fit');
  const html = phantomHtml(s, { id: 't', notes: ['a <note>'] });
  assert.equal((html.match(/<svg/g) ?? []).length, 7, 'a chart per metric with data; a sentence for the one without');
  assert.match(html, /No data for push\/pull duration/);
  assert.match(html, /a &lt;note&gt;/);
  assert.match(html, /410 \(410 – 410\)/);
});
