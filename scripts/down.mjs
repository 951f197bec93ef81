#!/usr/bin/env zx
// Thin entry point: `npm run down -- [options]` is `lab down [options]`.
import { lab } from './lib.mjs';

await lab('down', ...process.argv.slice(3));
