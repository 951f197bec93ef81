#!/usr/bin/env zx
// Benchmark of the recorder's cost (not a test): the same smoke scenario twice in one sitting, with the
// samplers at 1 s and without them (watchers only), comparing the controller process's CPU over the
// phases. Also counts records and gap records (the recorder must drop nothing).
import { $, fs, path } from 'zx';

$.verbose = false;
const root = path.resolve(import.meta.dirname, '..');
async function run(extra) {
  const p = await $({ cwd: root, nothrow: true })`tsx src/cli.ts replay smoke ${extra}`;
  const dir = /Run \w+: (\S+)/.exec(p.stderr)?.[1];
  if (p.exitCode !== 0 || !dir) throw new Error(`replay failed:\n${p.stderr.slice(-2000)}`);
  const lines = fs.readFileSync(path.join(dir, 'history.jsonl'), 'utf8').trim().split('\n');
  const note = lines.map((l) => JSON.parse(l)).find((r) => r.type === 'note' && /controller cpu/.test(r.text));
  const cores = Number(/cpu ([\d.]+) cores/.exec(note?.text ?? '')?.[1]);
  return { dir, cores, records: lines.length, gaps: lines.filter((l) => l.includes('"type":"gap"')).length };
}
const without = await run(['--no-samplers']);
const withS = await run([]);
const overhead = withS.cores - without.cores;
console.log(
  JSON.stringify(
    {
      controllerCoresWithoutSamplers: without.cores,
      controllerCoresWithSamplers: withS.cores,
      samplerOverheadPercentOfOneCore: Number((overhead * 100).toFixed(2)),
      target: '<= 3 % of one core',
      ratio: Number((withS.cores / without.cores).toFixed(2)),
      records: { with: withS.records, without: without.records },
      gapRecords: { with: withS.gaps, without: without.gaps },
      runs: [without.dir, withS.dir],
    },
    null,
    2,
  ),
);
