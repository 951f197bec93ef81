// Entry of the `lab` command. The state folder is decided before anything reads it (paths.ts fixes it at
// import): a command given `--context` gets that context's own folder (cluster/foreign/state-dir.ts).
import { contextArg, foreignStateDir } from './cluster/foreign/state-dir.ts';
import { stateRoot } from './util/state-root.ts';

const context = contextArg(process.argv.slice(2));
if (context) process.env.LAB_STATE_DIR = foreignStateDir(stateRoot(), context);
await import('./cli-main.ts');
