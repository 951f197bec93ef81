import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyseRunFolder, writeAtomic } from '../report/build.ts';
import { resolveRunDir, type RunFolder } from '../report/run-folder.ts';
import { toOpenMetrics, type RunLabels } from '../export/openmetrics.ts';
import type { MetaRecord } from '../history/records.ts';
import { info } from '../ui/progress.ts';
import { LabError } from '../util/errors.ts';
import type { Command } from './types.ts';

const FORMATS = ['openmetrics'] as const;
export const OPENMETRICS_FILE = 'metrics.om.txt';

/** run, scenario and variant labels: the run folder's id, and the names its run id is made of. */
export function runLabels(folder: RunFolder): RunLabels {
  const meta = folder.history.records.find((r): r is MetaRecord => r.type === 'meta');
  const variants = folder.scenario?.variants ?? meta?.variants ?? [];
  return {
    run: folder.id,
    scenario: folder.scenario?.name ?? meta?.scenarioName ?? 'unknown',
    variant: variants.length ? variants.join('+') : (folder.scenario?.variant ?? 'unknown'),
  };
}

export const exportCommand: Command = {
  summary: 'write a run\u2019s series as OpenMetrics for Prometheus (promtool tsdb create-blocks-from openmetrics)',
  usage: `lab export <run-dir-or-id>... [--format openmetrics] [--out FILE|-]

  Writes the run's node conditions, pods, evictions, Consul pool, Consul/Vault latencies, CPU and
  delivery as OpenMetrics text (metric names outage_lab_*, labels run, scenario, variant), by default to
  ${OPENMETRICS_FILE} in the run folder. Import into a Prometheus data directory with
    promtool tsdb create-blocks-from openmetrics <run>/${OPENMETRICS_FILE} <prometheus-data-dir>
  --format  openmetrics (the only one)
  --out     the file to write (one run only), or - for standard output`,
  options: {
    format: { type: 'string', default: 'openmetrics' },
    out: { type: 'string' },
  },
  async run(v, positionals) {
    const format = String(v.format);
    if (!(FORMATS as readonly string[]).includes(format)) throw new LabError(`lab export: --format "${format}" is not supported`, `allowed: ${FORMATS.join(', ')}`);
    if (positionals.length === 0) throw new LabError('lab export needs a run folder or run id', 'e.g. `lab export runs/<id>`');
    const out = typeof v.out === 'string' ? v.out : undefined;
    if (out !== undefined && positionals.length > 1) throw new LabError('lab export: --out takes one run', 'export runs one at a time, or leave out --out to write each into its folder');
    for (const arg of positionals) {
      const dir = resolveRunDir(arg);
      const { folder, analysis } = await analyseRunFolder(dir);
      const text = toOpenMetrics({ analysis, records: folder.history.records, labels: runLabels(folder) });
      if (out === '-') {
        process.stdout.write(text);
        continue;
      }
      const file = path.resolve(out ?? path.join(dir, OPENMETRICS_FILE));
      if (!fs.existsSync(path.dirname(file))) throw new LabError(`lab export: the folder of --out ${file} does not exist`, 'create it first or pick another path');
      writeAtomic(file, text);
      const samples = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
      info(`✔ ${folder.id}: ${samples} samples${folder.synthetic ? ' (SYNTHETIC)' : ''} -> ${file}`);
    }
  },
};
