import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReplayResult, RunContext } from '../context.ts';

/** delivery.json, the last file of the run folder, from what the recorder counted. */
export function writeRunFolder(ctx: RunContext): ReplayResult['delivery'] {
  const { recorder } = ctx;
  const delivery = Object.entries(recorder?.delivery.totals() ?? {}).map(([pod, d]) => {
    const app = recorder?.lastStats.get(`app/${pod}`);
    // Sequence numbers start at 1: every line up to maxSeq arrived iff there are maxSeq distinct ones.
    // `written` is the app's last sample, taken until the recorder stopped, so it may hold lines still in
    // flight; `writtenAtDrain` is what the drain proved delivered (absent when the run ended before it).
    const atDrain = ctx.writtenAtDrain.get(pod);
    return { pod, written: app?.log_lines_total, ...(atDrain !== undefined ? { writtenAtDrain: atDrain } : {}), delivered: d.unique, duplicates: d.duplicates, holes: d.maxSeq - d.unique };
  });
  writeFileSync(join(ctx.runDir, 'delivery.json'), `${JSON.stringify(delivery, null, 2)}\n`);
  return delivery;
}
