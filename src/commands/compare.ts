import { info } from '../ui/progress.ts';
import { answersMarkdown } from '../analysis/answers.ts';
import { buildAnswersReport, buildComparison } from '../report/compare-build.ts';
import { compareTable } from '../report/compare-page.ts';
import { resolveRunDir } from '../report/run-folder.ts';
import { LabError } from '../util/errors.ts';
import type { Command } from './types.ts';

export const compareCommand: Command = {
  summary: 'put runs side by side: a terminal table and runs/compare-<time>.html (timelines aligned at the cut)',
  usage: `lab compare <run>... [--out file.html] [--answers]

  <run>      a run folder or a run id under runs/ (a unique prefix is enough)
  --out      where to write the comparison page (default runs/compare-<UTC time>.html)
  --answers  also write runs/answers-<UTC time>.html: the five questions answered from these runs,
             grouped by how each run's scenario differs from the 2019 reference`,
  options: {
    out: { type: 'string' },
    answers: { type: 'boolean', default: false },
  },
  async run(v, positionals) {
    if (positionals.length === 0) throw new LabError('lab compare needs at least one run', 'e.g. `lab compare runs/<id-a> runs/<id-b>`');
    const dirs = positionals.map((p) => resolveRunDir(p));
    const { path, runs } = await buildComparison(dirs, typeof v.out === 'string' ? { out: v.out } : {});
    process.stdout.write(`${compareTable(runs)}\n\n`);
    info(`✔ Comparison: ${path}`);
    if (v.answers === true) {
      const a = await buildAnswersReport({ dirs });
      process.stdout.write(`\n${answersMarkdown(a.answers)}\n`);
      for (const u of a.grouping?.unused ?? []) info(`  (not used: ${u.id}: ${u.why})`);
      info(`✔ Answers: ${a.path}`);
    }
  },
};
