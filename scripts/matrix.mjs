#!/usr/bin/env zx
// Thin entry point: `npm run matrix -- [options]` is `lab matrix [options]`.
import { lab } from './lib.mjs';

await lab('matrix', ...process.argv.slice(3));
