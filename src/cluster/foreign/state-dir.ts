// A foreign context is a lab of its own: its state, fault journal, controller lock and Vault keys live in
// a folder of their own, so nothing a command does there can be confused with the kind lab's (the same
// machine may run both), and `lab heal --context X` finds exactly the faults cut on X.
import { join } from 'node:path';

/** The value of `--context` on a command line, as node's parseArgs reads it (`--context X` or `--context=X`). */
export function contextArg(argv: readonly string[]): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === '--context') found = argv[i + 1];
    else if (a.startsWith('--context=')) found = a.slice('--context='.length);
  }
  return found;
}

export function foreignStateDir(root: string, context: string): string {
  // Dots too: a context named `..` must not climb back into the kind lab's folder.
  return join(root, 'contexts', encodeURIComponent(context).replaceAll('.', '%2E'));
}
