#!/usr/bin/env zx
// `npm run soak:heal [-- --trials N]`: SIGKILL a controller inside a cut or a flap, run one `lab` command,
// check from a pod that Kafka answers (see src/bench/soak-heal.ts). Needs a running lab.
import { $ } from 'zx';

await $({ stdio: 'inherit' })`tsx src/bench/soak-heal.ts ${process.argv.slice(3)}`;
