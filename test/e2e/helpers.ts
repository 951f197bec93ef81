import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { KubeConfig, type CoreV1Api } from '@kubernetes/client-node';
import { readState } from '../../src/cluster/state.ts';
import { clustersToRemove } from '../../src/cluster/down.ts';
import { capture } from '../../src/util/exec.ts';
import { repoRoot } from '../../src/util/paths.ts';
import { waitFor } from '../../src/util/wait.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `lab` command, as a user would, streaming its progress into the test log. */
export function lab(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c;
      process.stderr.write(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c;
      process.stderr.write(c);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`lab ${args.join(' ')} timed out`));
    }, opts.timeoutMs ?? 20 * 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** What `lab down` must leave: no container, network, kube context or state of the lab. */
export async function assertLabGone(clusterName: string): Promise<void> {
  // By kind's label, not by name prefix; the lab's clusters are the first and its split twin (outage-lab-b), which
  // `lab down` removes too: a twin left running keeps sending to the next lab's Kafka.
  const mine = clustersToRemove(clusterName);
  for (const name of mine) {
    assert.equal(await capture('docker', ['ps', '-a', '--filter', `label=io.x-k8s.kind.cluster=${name}`, '--format', '{{.Names}}']), '', `no node container of cluster ${name}`);
  }
  assert.equal(await capture('docker', ['ps', '-a', '--filter', 'label=outage-lab=1', '--format', '{{.Names}}']), '', 'no container labelled outage-lab=1');
  const nets = await capture('docker', ['network', 'ls', '--filter', 'name=outage-lab', '--format', '{{.Name}}']);
  assert.equal(nets, '', `no network named outage-lab*${await attachedTo(nets)}`);
  const kc = new KubeConfig();
  kc.loadFromDefault();
  for (const name of mine) assert.ok(!kc.getContexts().some((c) => c.name === `kind-${name}`), `kube context kind-${name} removed`);
  assert.equal(readState(), undefined, 'lab state removed');
}

/** For a failure message: which containers hold the networks named (one a line), e.g. another cluster's nodes. */
export async function attachedTo(networks: string): Promise<string> {
  const names = networks.split('\n').filter(Boolean);
  if (names.length === 0) return '';
  const held = await Promise.all(names.map(async (n) => `${n}: [${(await capture('docker', ['network', 'inspect', n, '--format', '{{range .Containers}}{{.Name}} {{end}}']).catch(() => '?')).trim()}]`));
  return ` (attached: ${held.join('; ')})`;
}

/**
 * A pod pinned to `node` that only idles, from the apps image (it has node, which the TCP probes run): the
 * witness that opens connections to Kafka independently of the fault driver under test. An old one is
 * removed first; resolves when it runs.
 */
export async function startWitnessPod(core: CoreV1Api, p: { namespace: string; name: string; node: string; image: string }): Promise<void> {
  const ref = { name: p.name, namespace: p.namespace };
  await core.deleteNamespacedPod({ ...ref, gracePeriodSeconds: 0 }).catch(() => undefined);
  await waitFor(async () => core.readNamespacedPod(ref).then(() => false, () => true), { timeoutMs: 60_000, what: 'an old probe pod to be gone' });
  await core.createNamespacedPod({
    namespace: p.namespace,
    body: {
      metadata: { name: p.name },
      spec: {
        nodeName: p.node,
        containers: [{ name: 'probe', image: p.image, imagePullPolicy: 'Never', command: ['node', '-e', 'setInterval(() => {}, 1 << 30)'] }],
        terminationGracePeriodSeconds: 0,
      },
    },
  });
  await waitFor(async () => (await core.readNamespacedPod(ref)).status?.phase === 'Running', { timeoutMs: 2 * 60_000, what: `pod ${p.namespace}/${p.name} running` });
}
