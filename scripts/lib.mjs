// Shared by the zx entry points: run the TypeScript CLI with the repo's Node and time each stage.
import { $ } from 'zx';

export const lab = (...args) => $({ stdio: 'inherit' })`tsx src/cli.ts ${args}`;

export async function stage(name, fn) {
  const started = Date.now();
  process.stderr.write(`\n=== ${name}\n`);
  try {
    return await fn();
  } finally {
    process.stderr.write(`=== ${name}: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
}
