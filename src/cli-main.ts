import { parseArgs } from 'node:util';
import { describeError, LabError, UsageError } from './util/errors.ts';
import { commands } from './commands/index.ts';
import { interruptedBy, interruptible, Interrupted } from './util/interrupt.ts';
import { exitSoon } from './util/exit-soon.ts';
import { closeForwards } from './cluster/foreign/forward.ts';

const USAGE = `lab — outage-lab: replay the 2019 Kafka → runtime → Kubernetes → Consul cascade on a real kind cluster

Usage: lab <command> [options]

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}

Run \`lab <command> --help\` for its options.`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    throw new UsageError(`unknown command "${name}"`, `one of: ${Object.keys(commands).join(', ')}`);
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`lab ${name}: ${(err as Error).message}`, `see \`lab ${name} --help\``);
  }
  if (parsed.values.help) {
    process.stdout.write(`lab ${name} — ${command.summary}\n\n${command.usage}\n`);
    return 0;
  }
  // Ctrl-C and SIGTERM abort the command's waits and commands; it undoes what it began, then ends here.
  return interruptible(async () => (await command.run(parsed.values as Record<string, unknown>, parsed.positionals)) ?? 0);
}

// A foreign command's port-forwards (cluster/foreign/forward.ts) end with it, whatever they still carry.
main(process.argv.slice(2)).finally(closeForwards).then(
  (code) => {
    process.exitCode = code;
    exitSoon(code, interruptedBy() ? 3000 : 10_000);
  },
  (err: unknown) => {
    // A failure caused by the interruption (a step that wrapped it in its own error) is the interruption too.
    const sig = interruptedBy();
    const stop = err instanceof Interrupted ? err : sig ? new Interrupted(sig, (err as Error).message?.split('\n')[0]) : undefined;
    if (stop) {
      process.stderr.write(`\n✖ ${stop.message}\n`);
      process.exitCode = stop.exitCode;
      exitSoon(stop.exitCode);
      return;
    }
    process.stderr.write(`\nError: ${describeError(err)}\n`);
    if (process.env.LAB_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = err instanceof UsageError ? 2 : err instanceof LabError ? 1 : 70;
    exitSoon(process.exitCode, 10_000);
  },
);
