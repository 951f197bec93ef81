#!/usr/bin/env zx
// Benchmark of `lab images` (not a test): warm time (nothing changed) against the cold build of every
// image, per image and in total, with image sizes and peak disk use. `--cold` really rebuilds from
// nothing: images removed, and Go/Maven/npm caches pointed at empty folders for the duration.
// `--runtime docker` adds that runtime's node image (built on demand only, so not part of a plain run).
import { $, argv, fs, os, path } from 'zx';

$.verbose = false;
const root = path.resolve(import.meta.dirname, '..');
const cold = argv.cold === true;
const runtime = typeof argv.runtime === 'string' ? argv.runtime : undefined;
const names = ['base', 'node', ...(runtime === 'docker' ? ['node-docker'] : []), 'kafka', 'consul', 'vault', 'apps'];
const dockerRoot = (await $`docker info --format {{.DockerRootDir}}`).stdout.trim();
const usedBytes = async () => {
  const out = (await $`df -B1 --output=used ${dockerRoot} ${os.homedir()}`).stdout.trim().split('\n').slice(1);
  return Math.max(...out.map(Number));
};

async function timedImages(env = {}) {
  let peak = await usedBytes();
  const start = peak;
  const sampler = setInterval(async () => (peak = Math.max(peak, await usedBytes())), 2000);
  const t0 = Date.now();
  const p = await $({ cwd: root, env: { ...process.env, ...env }, nothrow: true })`tsx src/cli.ts images --source build ${runtime ? ['--runtime', runtime] : []}`;
  clearInterval(sampler);
  if (p.exitCode !== 0) throw new Error(`lab images failed:\n${p.stderr}`);
  const perImage = {};
  for (const line of p.stderr.split('\n')) {
    const m = /✔ Image (\S+) .*?, ([\d.]+ s|\d+ min \d+ s)\)$/.exec(line);
    if (m) perImage[m[1]] = m[2];
  }
  return { ms: Date.now() - t0, perImage, peakDiskDeltaGiB: (peak - start) / 1024 ** 3 };
}

let coldResult;
if (cold) {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-bench-cold-'));
  const refs = (await $`docker images --format {{.Repository}}:{{.Tag}} outage-lab/*`).stdout.split('\n').filter(Boolean);
  if (refs.length) await $`docker rmi -f ${refs}`;
  await $`docker builder prune -af`;
  console.error('cold build: every image from nothing (this takes a while)…');
  coldResult = await timedImages({
    LAB_CACHE: path.join(tmp, 'lab'),
    GOCACHE: path.join(tmp, 'gocache'),
    GOMODCACHE: path.join(tmp, 'gomod'),
    MAVEN_OPTS: `-Dmaven.repo.local=${path.join(tmp, 'm2')}`,
  });
  // The empty caches filled up to ~11 GiB (Go's above all); they were only there to be cold.
  await fs.remove(tmp);
}
const warmRuns = [];
for (let i = 0; i < 3; i++) warmRuns.push((await timedImages()).ms);
warmRuns.sort((a, b) => a - b);
const sizes = {};
for (const n of names) {
  const ref = (await $`docker images --format {{.Repository}}:{{.Tag}} outage-lab/${n}`).stdout.split('\n').find((r) => r && !r.endsWith(':dev'));
  if (ref) sizes[n] = `${(Number((await $`docker image inspect --format {{.Size}} ${ref}`).stdout) / 1024 ** 2).toFixed(0)} MiB`;
}
const report = {
  warmMedianSeconds: warmRuns[1] / 1000,
  warmRunsSeconds: warmRuns.map((m) => m / 1000),
  ...(coldResult ? { coldTotalMinutes: coldResult.ms / 60000, coldPerImage: coldResult.perImage, coldPeakDiskGiB: coldResult.peakDiskDeltaGiB, warmVsCold: `${((warmRuns[1] / coldResult.ms) * 100).toFixed(2)} % of cold` } : {}),
  sizes,
};
console.log(JSON.stringify(report, null, 2));
