import { listVariants, parseSetArgs, describeScenario, phaseLine } from '../scenario/index.ts';
import { validateScenario } from '../scenario/validate.ts';
import { UsageError } from '../util/errors.ts';
import { scenarioPath } from './replay.ts';
import type { Command } from './types.ts';

/** Exit codes, as the usage documents them. */
export const VALIDATE_EXIT = { valid: 0, invalid: 1, usage: 2 } as const;

export const validateCommand: Command = {
  summary: 'check a scenario with its variants and overrides as a replay would, with no Docker and no network',
  usage: `lab validate <scenario> [--variant name]... [--set path=value]...

  scenario     a name from lab/scenarios/ or a path
  --variant    overlay from lab/variants/ (repeatable, applied in order): ${listVariants().map((v) => v.name).join(', ')}
  --set        override one field, e.g. --set shipper.mode=backoff

  Checks the files' limits, the schema, the cross-field rules, and the Consul settings the lab's Consul
  refuses (known statically; the replay also asks the real binary). Touches no cluster and no Docker.

  Exit codes: 0 valid; 1 invalid (one line per problem: file:line: field: what is wrong; expected ...);
              2 usage (no scenario, unknown option)`,
  options: {
    variant: { type: 'string', multiple: true },
    set: { type: 'string', multiple: true },
  },
  async run(v, positionals) {
    if (positionals.length !== 1) throw new UsageError('lab validate takes one scenario', 'lab validate target-2019 --variant daemonset');
    const file = scenarioPath(positionals[0]);
    const result = validateScenario(file, {
      variants: (v.variant as string[] | undefined) ?? [],
      ...(v.set ? { overrides: parseSetArgs(v.set as string[]) } : {}),
    });
    if (!result.ok) {
      process.stderr.write(`✖ ${file}: invalid\n${result.problems.map((p) => `  - ${p}\n`).join('')}`);
      return VALIDATE_EXIT.invalid;
    }
    process.stdout.write(`✔ ${describeScenario(result.scenario)}\n  ${phaseLine(result.scenario)}\n${result.notes.map((n) => `  note: ${n}\n`).join('')}`);
    return VALIDATE_EXIT.valid;
  },
};
