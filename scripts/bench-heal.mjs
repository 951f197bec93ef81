#!/usr/bin/env zx
// `npm run bench:heal`: heal latency seen from a pod (see src/bench/heal-latency.ts).
import { $ } from 'zx';

await $({ stdio: 'inherit' })`tsx src/bench/heal-latency.ts`;
