// One-cluster histories must analyse exactly as they did before split clusters existed. The hashes below
// were taken with the analysis of main at c030083 (before `clusters: 2` was implemented) over the
// synthetic fixture; a change to any one-cluster figure or series, however small, fails here.
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
  ['target-2019 seed 1', { seed: 1 }, { summary: '748580ffd91f093556d9f97817243a7f30edfe6c30a88c99e2cf821132847fc3', series: '92047d714531d52864546b2e121531d6fe363946cb83b7786cc43965fb749fd9' }],
  ['target-2019 seed 2 with gaps', { seed: 2, gaps: true }, { summary: '3d088fe4c9a5b155ee323658761c3e6dab061ec73155ad8a36b826e01a8e22a3', series: '8f97fd6f2822fca17d56b3169714a87596cb478a4186247b53a133a6991970b6' }],
  ['daemonset seed 3', { seed: 3, variants: ['daemonset'], failingNodes: 1 }, { summary: '2445d0d1b2b90fbf0a875e084f0ec49076d20234d807c0da562c4597eaa92fe6', series: 'c803b023bcdd1bd7fd71a08a689e3f7895822f7cac4bf5fc7c9088f5c7942c4d' }],
  ['gossip-encryption seed 4, not settling', { seed: 4, variants: ['gossip-encryption'], recover: false }, { summary: 'cbc631b99544c8576b32a274a81221ae3fba53beab442eade63656ac29e127f5', series: 'fccf0e4ca8b20c07037d99976ccdfff7e2ff4da350991e6fd11ac1927e9f48b2' }],
  ['smoke seed 5', { seed: 5, scenarioFile: path.join(repoRoot, 'lab', 'scenarios', 'smoke.yaml') }, { summary: 'fcbdff4b1a8835a01b00c51fc36bbb9f65fa4cb26fe6c31a77f89ff2391823b5', series: '6b81228d500d86cbaa67bfbf8dd6be1bf35353030afaec691260d11b91ef316e' }],
];

for (const [name, opts, want] of GOLDEN) {
  test(`one-cluster history analyses exactly as before split clusters: ${name}`, () => {
    const r = syntheticRun({ gaps: false, ...opts });
    const a = analyzeRun({ records: r.records, scenario: r.scenario });
    assert.equal(a.summary.split, undefined, 'no split section for a one-cluster history');
    assert.equal(sha(summaryToJson(a.summary)), want.summary, 'summary.json unchanged');
    assert.equal(sha(JSON.stringify(a.series)), want.series, 'chart series unchanged');
  });
}
