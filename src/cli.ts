import { parseArgs } from 'node:util';
import { describeError, LabError, UsageError } from './util/errors.ts';
import { commands } from './commands/index.ts';

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
  return (await command.run(parsed.values as Record<string, unknown>, parsed.positionals)) ?? 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`\nError: ${describeError(err)}\n`);
    if (process.env.LAB_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = err instanceof UsageError ? 2 : err instanceof LabError ? 1 : 70;
  },
);
