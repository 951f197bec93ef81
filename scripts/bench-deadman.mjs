#!/usr/bin/env zx
// `npm run bench:deadman [-- --trials N] [-- --deadline S]`: SIGKILL a controller mid-cut through the fault
// agent, run nothing, time until a pod reaches Kafka again (see src/bench/deadman.ts). Needs a running lab.
import { $ } from 'zx';

const r = await $({ stdio: 'inherit', nothrow: true })`tsx src/bench/deadman.ts ${process.argv.slice(3)}`;
process.exitCode = r.exitCode ?? 1;
