import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { replay } from '../controller/replay.ts';
import { buildRunReport } from '../report/build.ts';
import { IMAGE_SOURCES, type ImageSource } from '../images/build.ts';
import { listVariants, parseSetArgs } from '../scenario/index.ts';
import { LabError } from '../util/errors.ts';
import { repoRoot } from '../util/paths.ts';
import { info } from '../ui/progress.ts';
import type { Command } from './types.ts';
import { refuseWhileRunning } from './lock-guard.ts';
import { enterForeign, FOREIGN_OPTIONS, FOREIGN_USAGE } from '../cluster/foreign/consent.ts';
import { foreignOverrides } from '../cluster/foreign/scenario.ts';
import { readState } from '../cluster/state.ts';

export function scenarioPath(arg: string | undefined): string {
  const name = arg ?? 'target-2019';
  if (existsSync(name)) return name;
  const inLab = join(repoRoot, 'lab', 'scenarios', name.endsWith('.yaml') ? name : `${name}.yaml`);
  if (existsSync(inLab)) return inLab;
  throw new LabError(`no scenario "${name}"`, 'give a file path, or a name from lab/scenarios/ (target-2019, smoke)');
}

export const replayCommand: Command = {
  summary: 'run a scenario end to end: cluster up, workload, cut Kafka, record, heal, report',
  usage: `lab replay [scenario] [--variant name]... [--set path=value]... [--source auto|pull|build] [--no-samplers]

  scenario     a name from lab/scenarios/ (default target-2019) or a path
  --variant    overlay from lab/variants/ (repeatable, applied in order): ${listVariants().map((v) => v.name).join(', ')}
  --set        override one field, e.g. --set shipper.mode=backoff
  --no-samplers  watchers only (for the recorder-overhead benchmark)
${FOREIGN_USAGE}
               (deploys into it as \`lab up --context\` does; fault.via is agent, CPU from the kubelets)
While another controller holds the lab, replay refuses and names it: \`lab heal\` stops it.`,
  options: {
    variant: { type: 'string', multiple: true },
    set: { type: 'string', multiple: true },
    source: { type: 'string', default: 'auto' },
    'no-samplers': { type: 'boolean', default: false },
    ...FOREIGN_OPTIONS,
  },
  async run(v, positionals) {
    const foreign = await enterForeign(v, () => readState()?.foreign);
    const sets = v.set ? parseSetArgs(v.set as string[]) : undefined;
    const overrides = foreign ? foreignOverrides(sets, readState()?.kafkaPlacement === 'external' ? 'external' : 'in-cluster') : sets;
    const source = v.source as ImageSource;
    if (!IMAGE_SOURCES.includes(source)) throw new LabError(`--source must be one of ${IMAGE_SOURCES.join(', ')}, got "${source}"`);
    refuseWhileRunning();
    const result = await replay({
      scenarioFile: scenarioPath(positionals[0]),
      variants: (v.variant as string[] | undefined) ?? [],
      overrides,
      source,
      samplers: v['no-samplers'] !== true,
    });
    // Apps keep writing until the workload is gone, so the last lines written are always still on their way
    // when recording stops; a hole below a pod's highest delivered sequence number is a line really missing.
    const holes = result.delivery.reduce((s, d) => s + d.holes, 0);
    const inFlight = result.delivery.reduce((s, d) => s + Math.max(0, (d.written ?? 0) - d.delivered - d.holes), 0);
    // A network not verified healed was said in its own line (✖ Network NOT verified healed) when the run ended.
    info(`\n${result.network.verified ? '✔ Network healed. ' : ''}Run ${result.status}: ${result.runDir}`);
    info(
      `  delivery: ${result.delivery.reduce((s, d) => s + d.delivered, 0)} lines delivered from ${result.delivery.length} pods; ` +
        `${holes} missing below the newest delivered line${inFlight ? `, ${inFlight} written last and still on their way when recording stopped` : ''}`,
    );
    try {
      const report = await buildRunReport(result.runDir);
      info(`  Report: ${report.reportPath}`);
    } catch (err) {
      info(`✖ the report could not be built (${(err as Error).message}); the history is saved, retry with \`npx lab report ${result.runDir}\``);
    }
    return result.status === 'completed' ? 0 : 1;
  },
};
