#!/usr/bin/env zx
// Thin entry point: `npm run replay -- [options]` is `lab replay [options]`.
import { lab } from './lib.mjs';

await lab('replay', ...process.argv.slice(3));
