// Everything a replay checks before it touches a cluster, with no Docker and no network: the scenario
// and its variants load and resolve (schema, rules, input limits), and the lab's Consul accepts the
// agents' settings (from a static table; the replay asks the real binary again before deploying).
import { agentExtraConfig } from '../workload/agent-config.ts';
import { labConsulVersion, staticConsulRefusal } from './consul-support.ts';
import { loadScenario, type LoadOptions } from './load.ts';
import { ScenarioError, formatIssue } from './errors.ts';
import { MAX_ISSUES_SHOWN } from './limits.ts';
import type { ResolvedScenario } from './types.ts';

export type Validation =
  | { ok: true; scenario: ResolvedScenario; notes: string[] }
  | { ok: false; problems: string[]; scenario?: ResolvedScenario };

export function validateScenario(file: string, opts: LoadOptions = {}): Validation {
  let scenario: ResolvedScenario;
  try {
    scenario = loadScenario(file, opts);
  } catch (err) {
    if (err instanceof ScenarioError) {
      const shown = err.issues.slice(0, MAX_ISSUES_SHOWN).map(formatIssue);
      const more = err.issues.length - shown.length;
      return { ok: false, problems: more > 0 ? [...shown, `… and ${more} more problems (fix these first)`] : shown };
    }
    throw err;
  }
  const { config, fields } = agentExtraConfig(scenario);
  if (fields.length === 0) return { ok: true, scenario, notes: [] };
  const version = labConsulVersion();
  const refusal = staticConsulRefusal(version, config, fields);
  if (refusal) return { ok: false, problems: [refusal], scenario };
  if (refusal === undefined) return { ok: true, scenario, notes: [`${fields.join(', ')}: not known statically for Consul ${version}; the replay checks it with \`consul validate\` before deploying`] };
  return { ok: true, scenario, notes: [] };
}
