#!/usr/bin/env zx
// Benchmark of `lab up` (not a test): a warm `lab up` (images present) against a bare `kind create
// cluster` with the same node image, node count and kubeadm settings, measured in the same run, plus
// the peak memory of the whole lab (every node container and Kafka, from their cgroups). Each runtime
// (`--runtime containerd,docker`, default both) gets its own baseline: a Docker node runs another
// Kubernetes version and loads the lab's images at up time, so only its own bare cluster is a fair base.
import { $, argv, fs, os, path } from 'zx';

$.verbose = false;
const root = path.resolve(import.meta.dirname, '..');
const lab = (...a) => $({ cwd: root, nothrow: true })`tsx src/cli.ts ${a}`;
const kind = path.join(process.env.LAB_CACHE ?? path.join(os.homedir(), '.cache', 'outage-lab'), 'bin', 'kind');

async function memoryOfLab() {
  const ids = (await $`docker ps -q --filter label=io.x-k8s.kind.cluster=outage-lab`).stdout.split('\n').filter(Boolean);
  const kafka = (await $({ nothrow: true })`docker ps -q --filter name=outage-lab-kafka`).stdout.trim();
  if (kafka) ids.push(kafka);
  let total = 0;
  for (const id of ids) {
    const full = (await $`docker inspect --format {{.Id}} ${id}`).stdout.trim();
    try {
      total += Number(fs.readFileSync(`/sys/fs/cgroup/memory/docker/${full}/memory.usage_in_bytes`, 'utf8'));
    } catch {}
  }
  return total;
}

const runtimes = String(argv.runtime ?? 'containerd,docker').split(',').filter(Boolean);
const results = [];
for (const runtime of runtimes) {
  console.error(`bench:up [${runtime}] — removing any running lab first`);
  await lab('down');
  // The node images `lab up` will use (baked when the runtime bakes, made now if missing): the bare cluster
  // gets the same ones, so the difference is the lab's own work and not a bigger or smaller node image.
  const nodeImages = JSON.parse(
    (
      await $({ cwd: root })`tsx -e ${`
import { imageRef } from './src/images/catalog.ts';
import { ensureNodeImages, unbaked } from './src/images/bake.ts';
import { runtimeProvider } from './src/runtime/index.ts';
const r = runtimeProvider(${JSON.stringify(runtime)});
Promise.all([r.nodeImage, 'consul', 'vault', 'apps'].map(async (n) => [n, await imageRef(n)]))
  .then((refs) => (r.bakes ? ensureNodeImages(Object.fromEntries(refs), () => {}, r.nodeImage) : unbaked(Object.fromEntries(refs)[r.nodeImage])))
  .then((n) => console.log(JSON.stringify(n.image)));
`}`
    ).stdout,
  );
  console.error(`[${runtime}] node images: ${JSON.stringify(nodeImages)}`);

  // Bare kind: the same config the lab would write (port mappings and runtime patches included), then Ready.
  const cfgFile = path.join(os.tmpdir(), `bench-kind-${runtime}.yaml`);
  await $({ cwd: root })`tsx -e ${`
import { writeFileSync } from 'node:fs';
import { kindConfig, renderKindConfig } from './src/cluster/kind.ts';
import { DEFAULT_CLUSTER } from './src/cluster/settings.ts';
import { engineMemoryBytes } from './src/host/docker.ts';
engineMemoryBytes().then((mem) => {
  const c = kindConfig({ ...DEFAULT_CLUSTER, runtime: ${JSON.stringify(runtime)}, name: 'bench-bare', consulHostPort: 28500, vaultHostPort: 28200 }, ${JSON.stringify(nodeImages)}, true, mem);
  writeFileSync('${cfgFile}', renderKindConfig(c));
});
`}`;
  console.error(`[${runtime}] bare kind create cluster…`);
  let t0 = Date.now();
  await $`${kind} create cluster --name bench-bare --config ${cfgFile} --wait 10m`;
  const bareMs = Date.now() - t0;
  await $({ cwd: root })`tsx -e ${`import { deleteCluster } from './src/cluster/kind.ts'; deleteCluster('${kind}', 'bench-bare');`}`;

  console.error(`[${runtime}] lab up…`);
  let peak = 0;
  const sampler = setInterval(async () => (peak = Math.max(peak, await memoryOfLab().catch(() => 0))), 2000);
  t0 = Date.now();
  const up = await lab('up', '--runtime', runtime);
  const labMs = Date.now() - t0;
  await new Promise((r) => setTimeout(r, 20_000)); // settled memory, after the probes
  peak = Math.max(peak, await memoryOfLab());
  clearInterval(sampler);
  if (up.exitCode !== 0) throw new Error(`lab up --runtime ${runtime} failed:\n${up.stderr}`);
  results.push({
    runtime,
    bareKindCreateSeconds: bareMs / 1000,
    labUpSeconds: labMs / 1000,
    ratio: Number((labMs / bareMs).toFixed(2)),
    target: 'ratio <= 2.5',
    peakLabMemoryGiB: Number((peak / 1024 ** 3).toFixed(2)),
    memoryTarget: '< 8 GiB',
  });
  console.error(`[${runtime}] ${JSON.stringify(results.at(-1))}`);
}
await lab('down');
console.log(JSON.stringify(results, null, 2));
