import { formatDuration } from '../util/duration.ts';
import { info } from '../ui/progress.ts';
import { buildRunReport } from '../report/build.ts';
import { resolveRunDir } from '../report/run-folder.ts';
import { fmtText } from '../report/format.ts';
import { pressureNodeSeconds } from '../analysis/catalog.ts';
import { LabError } from '../util/errors.ts';
import type { Command } from './types.ts';

export const reportCommand: Command = {
  summary: 'rebuild a run\u2019s report.html and summary.json from its folder (no cluster needed)',
  usage: `lab report <run-dir-or-id>...

  Reads history.jsonl, scenario.json and versions.json of each run folder and writes summary.json and
  report.html beside them. A run id is a folder name under runs/ (a unique prefix is enough).`,
  options: {},
  async run(_v, positionals) {
    if (positionals.length === 0) throw new LabError('lab report needs a run folder or run id', 'e.g. `lab report runs/2026-11-26T03-10-00Z-target-2019-sidecar`');
    for (const arg of positionals) {
      const dir = resolveRunDir(arg);
      const started = Date.now();
      const r = await buildRunReport(dir);
      const s = r.analysis.summary;
      info(`✔ ${r.folder.id}: ${s.history.records} records, ${s.gaps.length} gap(s)${s.history.truncated ? ', TRUNCATED' : ''}${r.folder.synthetic ? ', SYNTHETIC' : ''} (${formatDuration(Date.now() - started)})`);
      info(`  NotReady ${fmtText(s.nodes.notReadyNodeSeconds, 'seconds')} node-time, max ${fmtText(s.nodes.maxSimultaneousNotReady)} at once; pressure ${fmtText(pressureNodeSeconds(s), 'seconds')} node-time, max ${fmtText(s.nodes.maxSimultaneousPressure)} at once; pods rescheduled ${fmtText(s.pods.rescheduled)}; recovery ${s.recovery.status} ${fmtText(s.recovery.timeToRecoverMs, 'ms', '')}`);
      const u = s.users;
      if (u) {
        const lb = u.lb ? `; LB stale up to ${fmtText(u.lb.longestStaleMs, 'ms')}` : '';
        info(`  Users: ${fmtText(u.errorMinutes)} error minute(s) (> ${Math.round(u.errorMinuteThreshold * 100)} % failed), worst minute ${u.worstMinute ? fmtText(u.worstMinute.errorShare, 'ratio') : 'none'} failed; back after the restore ${u.recovery.status === 'never-disrupted' ? 'never disrupted' : fmtText(u.recovery.timeToRecoverMs, 'ms', 'not recovered')}${lb}`);
      }
      for (const n of r.folder.notes) info(`  ! ${n}`);
      info(`  Summary: ${r.summaryPath}`);
      info(`  Report:  ${r.reportPath}`);
    }
  },
};
