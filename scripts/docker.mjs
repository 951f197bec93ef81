#!/usr/bin/env zx
// Thin entry point: `npm run docker -- [options]` is `lab docker [options]`.
import { lab } from './lib.mjs';

await lab('docker', ...process.argv.slice(3));
