#!/usr/bin/env zx
// Thin entry point: `npm run up -- [options]` is `lab up [options]`.
import { lab } from './lib.mjs';

await lab('up', ...process.argv.slice(3));
