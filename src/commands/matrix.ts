import { replay } from '../controller/replay.ts';
import { matrixWork, planMatrix } from '../controller/matrix-plan.ts';
import { buildRunReport } from '../report/build.ts';
import { buildAnswersReport } from '../report/compare-build.ts';
import { answersMarkdown } from '../analysis/answers.ts';
import { LabError } from '../util/errors.ts';
import { info } from '../ui/progress.ts';
import { scenarioPath } from './replay.ts';
import { loadScenario } from '../scenario/index.ts';
import { finalTag, imageExists } from '../images/catalog.ts';
import { agentConfigRefusal } from '../workload/agent-config.ts';
import type { Command } from './types.ts';
import { refuseWhileRunning } from './lock-guard.ts';

export const matrixCommand: Command = {
  summary: 'run the variants that answer the incident’s questions, repeated, and write the answers page (resumable)',
  usage: `lab matrix [scenario] [--repeat N] [--only q1,q3,daemonset,...] [--plan | --report-only]

  scenario       default target-2019; every arm is this scenario plus one variant
  --repeat       runs per arm (default 3); runs already in runs/ with the same resolved scenario count
  --only         questions (q1..q5) or arm labels to run
  --plan         print what would run and what is reused, then stop
  --report-only  write the answers page from the completed runs already in runs/ (at most N an arm);
                 starts no replay and needs no cluster
While another controller holds the lab, matrix refuses and names it (--plan and --report-only still work).`,
  options: {
    repeat: { type: 'string', default: '3' },
    only: { type: 'string' },
    plan: { type: 'boolean', default: false },
    'report-only': { type: 'boolean', default: false },
  },
  async run(v, positionals) {
    const repeat = Number(v.repeat);
    if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20) throw new LabError(`--repeat must be an integer from 1 to 20, got "${String(v.repeat)}"`);
    const reportOnly = v['report-only'] === true;
    if (reportOnly && v.plan) throw new LabError('--plan and --report-only do not go together', 'use --plan to see what would run, --report-only to rebuild the answers page');
    const file = scenarioPath(positionals[0]);
    if (!v.plan && !reportOnly) refuseWhileRunning();
    const only = typeof v.only === 'string' ? v.only.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
    const plan = planMatrix(file, only);
    if (plan.length === 0) throw new LabError(`--only ${String(v.only)} selects no arm`, 'use q1..q4 or arm labels such as daemonset, backoff, gossip-encryption, split-clusters');
    // An arm whose settings the lab's Consul refuses cannot be run here: said before, not found out after 8 minutes.
    const consulImage = finalTag('consul');
    if (await imageExists(consulImage)) {
      for (const a of plan) a.unsupported ??= (await agentConfigRefusal(loadScenario(file, { variants: a.variants }), consulImage)) ?? undefined;
    }
    const unmeasurable = Object.fromEntries(plan.filter((a) => a.unsupported && a.done.length === 0).map((a) => [a.label, a.unsupported!]));
    const work = matrixWork(plan, repeat, reportOnly);
    for (const a of plan) {
      const todo = work.toRun.filter((t) => t.arm === a).length;
      const used = Math.min(a.done.length, repeat);
      const what = reportOnly ? `${used} used${a.done.length > used ? ` (of ${a.done.length})` : ''}${used === 0 ? ', not measured' : ''}` : `${a.done.length} done, ${todo} to run`;
      info(`${a.question} ${a.label.padEnd(20)} ${what}${a.unsupported ? ` (skipped: ${a.unsupported})` : ''}`);
    }
    if (v.plan) return 0;
    if (reportOnly && work.reuse.length === 0) throw new LabError('no completed runs for these arms in runs/', 'run `lab matrix` (or `lab matrix --plan` to see what it would run)');
    const dirs = [...work.reuse];
    for (const { arm: a, repeat: i } of work.toRun) {
      info(`\n■ matrix ${a.question} ${a.label}: run ${i}/${repeat}`);
      const r = await replay({ scenarioFile: file, variants: a.variants });
      if (r.status !== 'completed') throw new LabError(`matrix run ${r.runDir} ${r.status}`, 'rerun `lab matrix`: completed runs are reused');
      await buildRunReport(r.runDir);
      dirs.push(r.runDir);
    }
    const report = await buildAnswersReport({ dirs }, { unmeasurable });
    process.stdout.write(`\n${answersMarkdown(report.answers)}\n`);
    info(`✔ Answers: ${report.path}`);
  },
};
