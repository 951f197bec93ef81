#!/usr/bin/env zx
// Thin entry point: `npm run images -- [options]` is `lab images [options]`.
import { lab } from './lib.mjs';

await lab('images', ...process.argv.slice(3));
