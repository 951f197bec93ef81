// One-cluster histories must analyse exactly as they did before split clusters existed. The hashes below
// were taken with the analysis of main without split clusters (c030083, retaken at 018bab4 when the branch
// was rebased over main's recovery changes, and from branch analysis-fixes at 1b3bb39 for its pool-settle and
// delivery definitions) over the synthetic fixture; a change to any one-cluster figure or series, however small, fails here.
// If the synthetic fixture itself changes, regenerate them from that commit's analysis, not from this one.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { test } from 'node:test';
import { analyzeRun, summaryToJson } from '../../src/analysis/analyze.ts';
import { repoRoot } from '../../src/util/paths.ts';
import { syntheticRun, type SyntheticOptions } from '../fixtures/synthetic-run.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

const GOLDEN: [string, SyntheticOptions, { summary: string; series: string }][] = [
  ['target-2019 seed 1', { seed: 1 }, { summary: '35518f62962105c8b3127f51d7456a1054b597548307600f3f3791dfef40e7d6', series: '92047d714531d52864546b2e121531d6fe363946cb83b7786cc43965fb749fd9' }],
  ['target-2019 seed 2 with gaps', { seed: 2, gaps: true }, { summary: 'a939c13966ccd15e6891cf297a4eff90a12a52c019b19e6b3f71319ac2b7464a', series: '8f97fd6f2822fca17d56b3169714a87596cb478a4186247b53a133a6991970b6' }],
  ['daemonset seed 3', { seed: 3, variants: ['daemonset'], failingNodes: 1 }, { summary: 'a74222d52b18d995fcecec31cf0a5bf86b33740009c7265877718dd6b17aeb9d', series: 'c803b023bcdd1bd7fd71a08a689e3f7895822f7cac4bf5fc7c9088f5c7942c4d' }],
  ['gossip-encryption seed 4, not settling', { seed: 4, variants: ['gossip-encryption'], recover: false }, { summary: 'a9ac75889efe9cdd370df51465acd997d11f9df6e60173b098011e49ea19e748', series: 'fccf0e4ca8b20c07037d99976ccdfff7e2ff4da350991e6fd11ac1927e9f48b2' }],
  ['smoke seed 5', { seed: 5, scenarioFile: path.join(repoRoot, 'lab', 'scenarios', 'smoke.yaml') }, { summary: '7499c7d7076224249fdafeced3d245154c3ef4a810082335c4d860514c2134f6', series: '6b81228d500d86cbaa67bfbf8dd6be1bf35353030afaec691260d11b91ef316e' }],
];

// The summary carries the scenario hash; these histories stand for runs made before shipper.retryLog,
// whose shippers wrote no retry lines (`off`, the only value that keeps the old hash).
const BEFORE_RETRY_LOG = ['shipper.retryLog=off'];

for (const [name, opts, want] of GOLDEN) {
  test(`one-cluster history analyses exactly as before split clusters: ${name}`, () => {
    const r = syntheticRun({ gaps: false, overrides: BEFORE_RETRY_LOG, ...opts });
    const a = analyzeRun({ records: r.records, scenario: r.scenario });
    assert.equal(a.summary.split, undefined, 'no split section for a one-cluster history');
    assert.equal(sha(summaryToJson(a.summary)), want.summary, 'summary.json unchanged');
    assert.equal(sha(JSON.stringify(a.series)), want.series, 'chart series unchanged');
  });
}
