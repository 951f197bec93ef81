import { existsSync } from 'node:fs';
import { info } from '../ui/progress.ts';
import { LabError } from '../util/errors.ts';
import { PHANTOM_VERSIONS, sweepCells, type PhantomVersion, type SweepSpec } from '../phantom/plan.ts';
import { readResults, runSweep, sweepDir } from '../phantom/sweep.ts';
import { writePhantomReport } from '../phantom/report.ts';
import type { Command } from './types.ts';

function intList(flag: string, text: string, min: number, max: number): number[] {
  const out = text.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (out.length === 0 || out.some((n) => !Number.isInteger(n) || n < min || n > max)) {
    throw new LabError(`--${flag} must be integers from ${min} to ${max}, comma separated, got "${text}"`);
  }
  return out;
}

function intOpt(flag: string, v: unknown, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new LabError(`--${flag} must be an integer from ${min} to ${max}, got "${String(v)}"`);
  return n;
}

export const phantomCommand: Command = {
  summary: 'grow Consul pools of live and failed (phantom) members by churn, measure their cost, fit it out to 41,000 (resumable)',
  usage: `lab phantom [--id ID] [--sizes 50,200,800] [--versions 1.8.7] [--encryption off,on] [--repeat 2] [--plan | --report-only]

  Real Consul servers (3) and client agents (many processes per container) on the lab's own Docker
  network outage-lab-phantom. Agents join and are SIGKILLed until the pool holds the asked members
  (a tenth live, at least 4, at most --live); then the pool is held and measured. Each finished cell
  is appended to runs/phantom-ID/results.jsonl; a rerun with the same --id skips it.

  --id           sweep folder runs/phantom-ID (default: a new one from the time)
  --sizes        client agents per pool, live and failed (default 50,200,800)
  --versions     Consul versions: ${PHANTOM_VERSIONS.join(', ')} (default 1.8.7)
  --encryption   off, on or both (default off,on)
  --repeat       pools per (size, version, encryption) (default 2)
  --live         most live agents per pool (default 40; each is a process of ~50 MB)
  --containers   containers the agents are spread over (default 2)
  --batch        phantoms started and killed together (default 20)
  --rate         agent starts per second during churn (default 10)
  --hold         seconds a built pool is held and measured (default 60)
  --kv           KV round trips through the consul client per pool (default 200)
  --plan         print the cells and what is done, then stop
  --report-only  rebuild summary.json and report.html from results.jsonl`,
  options: {
    id: { type: 'string' },
    sizes: { type: 'string', default: '50,200,800' },
    versions: { type: 'string', default: '1.8.7' },
    encryption: { type: 'string', default: 'off,on' },
    repeat: { type: 'string', default: '2' },
    live: { type: 'string', default: '40' },
    containers: { type: 'string', default: '2' },
    batch: { type: 'string', default: '20' },
    rate: { type: 'string', default: '10' },
    hold: { type: 'string', default: '60' },
    kv: { type: 'string', default: '200' },
    plan: { type: 'boolean', default: false },
    'report-only': { type: 'boolean', default: false },
  },
  async run(v) {
    const id = typeof v.id === 'string' ? v.id : new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new LabError(`--id must be 1 to 64 letters, digits, '.', '_' or '-', got "${id}"`);
    const dir = sweepDir(id);
    if (v['report-only']) {
      if (!existsSync(dir)) throw new LabError(`no sweep folder ${dir}`, 'run `lab phantom --id ID` first');
      const r = writePhantomReport(dir, id, readResults(dir));
      info(`✔ ${r.summary.cells} cells: ${r.pagePath}`);
      return 0;
    }
    const versions = String(v.versions).split(',').map((s) => s.trim()).filter(Boolean);
    for (const ver of versions) {
      if (!(PHANTOM_VERSIONS as readonly string[]).includes(ver)) throw new LabError(`--versions: "${ver}" is not one of ${PHANTOM_VERSIONS.join(', ')}`);
    }
    const enc = String(v.encryption).split(',').map((s) => s.trim()).filter(Boolean);
    for (const e of enc) if (e !== 'off' && e !== 'on') throw new LabError(`--encryption: "${e}" is not off or on`);
    const spec: SweepSpec = {
      sizes: intList('sizes', String(v.sizes), 4, 100_000),
      versions: [...new Set(versions)] as PhantomVersion[],
      encryption: [...new Set(enc.map((e) => e === 'on'))],
      repeats: intOpt('repeat', v.repeat, 1, 20),
    };
    const opts = {
      live: intOpt('live', v.live, 1, 2000),
      containers: intOpt('containers', v.containers, 1, 64),
      batch: intOpt('batch', v.batch, 1, 1000),
      ratePerS: intOpt('rate', v.rate, 1, 1000),
      holdS: intOpt('hold', v.hold, 10, 3600),
      kvOps: intOpt('kv', v.kv, 1, 100_000),
    };
    if (v.plan) {
      const done = new Set(readResults(dir).map((r) => r.key));
      for (const c of sweepCells(spec)) info(`${done.has(c.key) ? 'done' : 'todo'} ${c.key}`);
      return 0;
    }
    const out = await runSweep({ id, spec, ...opts, progress: info });
    const r = writePhantomReport(out.dir, id, out.results);
    info(`✔ phantom ${id}: ${out.ran} cell(s) run, ${out.results.length} in total`);
    info(`  Summary: ${r.summaryPath}`);
    info(`  Report:  ${r.pagePath}`);
    return 0;
  },
};
