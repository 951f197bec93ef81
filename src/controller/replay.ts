import { writeFileSync } from 'node:fs';
import type * as k8s from '@kubernetes/client-node';
import { join } from 'node:path';
import { loadScenario, describeScenario, phaseLine, type ResolvedScenario } from '../scenario/index.ts';
import { HistoryWriter } from '../history/writer.ts';
import { FaultJournal } from '../faults/journal.ts';
import { acquireLock } from './lock.ts';
import { HEAL_OR_DOWN, healOrphansOrRefuse } from '../faults/orphans.ts';
import { applyFault, describeFailures, healJournal } from '../faults/runner.ts';
import { up } from '../cluster/up.ts';
import { down } from '../cluster/down.ts';
import { clients, type Clients } from '../cluster/kube.ts';
import { applyAll, resolveImages } from '../cluster/manifests.ts';
import { isReady } from '../cluster/nodes.ts';
import { labClusters, readState } from '../cluster/state.ts';
import { kubeContextName, type ClusterSettings } from '../cluster/settings.ts';
import { consulClient, memberCounts } from '../components/consul.ts';
import { ensureVaultUnsealed, loadCredentials, vaultHealth } from '../components/vault.ts';
import { Recorder } from '../recorder/recorder.ts';
import type { NodeTarget } from '../recorder/cpu-sampler.ts';
import { pollPodStats } from '../recorder/pod-stats.ts';
import { renderWorkload, WORKLOAD_NS, APP_LABEL, PORTS } from '../workload/render.ts';
import { agentConfigRefusal } from '../workload/agent-config.ts';
import { finalTag, imageExists } from '../images/catalog.ts';
import { capture } from '../util/exec.ts';
import { LabError } from '../util/errors.ts';
import { ensureDir, runsDir, stateDir } from '../util/paths.ts';
import { fileStamp, utcIso } from '../util/time.ts';
import { formatDuration } from '../util/duration.ts';
import { waitFor } from '../util/wait.ts';
import { nodeSettled } from './node-settled.ts';
import { info, task } from '../ui/progress.ts';
import type { ImageSource } from '../images/build.ts';
import { AbortableClock } from './clock.ts';
import { clusterSettingsFor, shapeOf } from './cluster-for-scenario.ts';
import { pruneUntilClean } from './consul-reset.ts';
import { KafkaFaultDriver } from './kafka-fault.ts';
import { kafkaCutTarget } from './kafka-target.ts';
import { LiveStatus } from './live-status.ts';

export interface ReplayOptions {
  scenarioFile: string;
  variants: string[];
  overrides?: Record<string, unknown>;
  source?: ImageSource;
  /** false: watchers only (the recorder-overhead benchmark's baseline). */
  samplers?: boolean;
  /** Called with the run folder once the history exists (tests use it to kill the controller mid-run). */
  onRunDir?: (dir: string) => void;
}

export interface ReplayResult {
  runDir: string;
  scenario: ResolvedScenario;
  status: 'completed' | 'aborted' | 'failed';
  delivery: { pod: string; written?: number; writtenAtDrain?: number; delivered: number; duplicates: number; holes: number }[];
}

/** One cluster of the run: one, or the two of a split run. */
interface RunCluster {
  /** Written as `cluster` on this cluster's records in a split run; undefined in a one-cluster run. */
  index: number | undefined;
  settings: ClusterSettings;
  c: Clients;
  consul: ReturnType<typeof consulClient>;
}

/** `cluster: i` for a split run's records about cluster i; nothing for a one-cluster run. */
const tag = (rc: Pick<RunCluster, 'index'>) => (rc.index === undefined ? {} : { cluster: rc.index });

async function deleteWorkload(core: Clients['core']): Promise<void> {
  try {
    await core.deleteNamespace({ name: WORKLOAD_NS });
  } catch (err) {
    if ((err as { code?: number }).code === 404) return;
    throw err;
  }
  await waitFor(
    async () => {
      try {
        await core.readNamespace({ name: WORKLOAD_NS });
        return false;
      } catch {
        return true;
      }
    },
    { timeoutMs: 3 * 60_000, what: `namespace ${WORKLOAD_NS} from the previous run to be gone` },
  );
}

function versions(images: Record<string, string>, consulVersion: string, vaultVersion: string): Record<string, string> {
  return { lab: '0.1.0', node: process.version, ...Object.fromEntries(Object.entries(images).map(([k, v]) => [`image:${k}`, v])), consul: consulVersion, vault: vaultVersion };
}

/**
 * The remedy phase: gossip encryption on, everything rolled with the key, and Vault (which restarts
 * sealed, as it did for Target) unsealed by the operator once it is back: that is the redeploy of 2019.
 * With split clusters each platform gets its own key, at the same time.
 */
async function applyRemedy(journal: FaultJournal, history: HistoryWriter, clusters: RunCluster[], clock: AbortableClock, durationMs: number): Promise<void> {
  const f = 'gossip-encryption';
  const started = Date.now();
  await Promise.all(
    clusters.map(async (rc) => {
      const clusterName = rc.settings.name;
      history.append({ type: 'fault', source: 'controller', f, kind: 'invoke', op: 'inject', ...tag(rc) });
      try {
        const id = await applyFault(journal, f, { clusterName, controlPlaneNode: `${clusterName}-control-plane`, namespaces: ['lab', WORKLOAD_NS] });
        history.append({ type: 'fault', source: 'controller', f, kind: 'ok', op: 'inject', journalId: id, ...tag(rc) });
      } catch (err) {
        history.append({ type: 'fault', source: 'controller', f, kind: 'fail', op: 'inject', error: (err as Error).message, ...tag(rc) });
        throw err;
      }
    }),
  );
  while (!clock.aborted && Date.now() - started < durationMs) {
    await clock.sleep(5000);
    for (const rc of clusters) {
      const port = rc.settings.vaultHostPort;
      try {
        const h = await vaultHealth(port);
        if (h.initialized && h.sealed && loadCredentials(rc.settings.name)) {
          await ensureVaultUnsealed(port, rc.settings.name);
          history.append({ type: 'fault', source: 'controller', f, kind: 'info', op: 'unseal-vault', details: { after: 'restart with the gossip key' }, ...tag(rc) });
        }
      } catch {
        // Vault not back yet: the recorder's probes say so.
      }
    }
  }
}

/**
 * After the last phase: takes each running app's lines-written count and waits until Kafka holds every
 * one of those lines. Says how far it got instead of failing: a shipper that cannot drain is a finding.
 */
async function drain(
  clusters: RunCluster[],
  recorder: Recorder,
  clock: AbortableClock,
  timeoutMs: number,
  step: (s: string) => void,
  /** Filled with each pod's count the drain waited for: the apps keep writing after it. */
  writtenAtDrain: Map<string, number>,
): Promise<string> {
  const pods: k8s.V1Pod[] = [];
  for (const rc of clusters) {
    const running = (await rc.c.core.listNamespacedPod({ namespace: WORKLOAD_NS, labelSelector: `app=${APP_LABEL}` })).items.filter((p) => p.status?.phase === 'Running');
    pods.push(...running);
    await pollPodStats(rc.c.core, { namespace: WORKLOAD_NS, selector: `app=${APP_LABEL}`, component: 'app', port: PORTS.app }, () => {}, (pod, counters) =>
      recorder.lastStats.set(`app/${pod}`, counters),
    );
  }
  const targets = pods.map((p) => ({ pod: p.metadata!.name!, written: recorder.lastStats.get(`app/${p.metadata!.name!}`)?.log_lines_total ?? 0 }));
  for (const t of targets) writtenAtDrain.set(t.pod, t.written);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const totals = recorder.delivery.totals();
    const behind = targets.filter((t) => (totals[t.pod]?.maxSeq ?? 0) < t.written);
    step(`${targets.length - behind.length}/${targets.length} pods fully delivered`);
    if (behind.length === 0) return `all ${targets.length} running pods delivered every line written before the drain`;
    if (Date.now() > deadline || clock.aborted) {
      const missing = behind.reduce((s, t) => s + t.written - (totals[t.pod]?.maxSeq ?? 0), 0);
      return `${behind.length}/${targets.length} pods still behind after ${timeoutMs / 1000} s (${missing} lines not yet in Kafka)`;
    }
    await clock.sleep(2000);
  }
}

/**
 * One replay: the cluster the scenario asks for, a fresh workload at steady state, then the phases on a
 * clock. The controller's only actions on the system are the network fault and the remedy; it heals in
 * `finally`, whatever happened, and a crash is healed by the next `lab` command from the journal.
 */
export async function replay(o: ReplayOptions): Promise<ReplayResult> {
  const scenario = loadScenario(o.scenarioFile, { variants: o.variants, ...(o.overrides ? { overrides: o.overrides } : {}) });
  // Before any cluster work: agents that the lab's Consul refuses would crash-loop until the workload times out.
  const consulImage = finalTag('consul');
  const refused = (await imageExists(consulImage)) ? await agentConfigRefusal(scenario, consulImage) : null;
  if (refused) throw new LabError(`scenario: ${refused}`, 'drop that setting (or the variant that sets it); this Consul cannot run it');
  const runId = `${fileStamp()}-${scenario.name}-${scenario.variant}${scenario.variants.filter((v) => v !== scenario.variant).map((v) => `+${v}`).join('')}`;
  const lock = acquireLock(stateDir, runId, { command: 'replay' });
  const journal = FaultJournal.open(stateDir, { runId });
  const clock = new AbortableClock();
  const onSignal = (sig: string) => () => {
    info(`\n${sig}: stopping the run and healing the network…`);
    clock.abort(sig);
  };
  const handlers = { SIGINT: onSignal('SIGINT'), SIGTERM: onSignal('SIGTERM') };
  process.on('SIGINT', handlers.SIGINT);
  process.on('SIGTERM', handlers.SIGTERM);
  let history: HistoryWriter | undefined;
  let recorder: Recorder | undefined;
  const writtenAtDrain = new Map<string, number>();
  let driver: KafkaFaultDriver | undefined;
  let status: ReplayResult['status'] = 'completed';
  const runDir = ensureDir(join(runsDir, runId));
  try {
    await healOrphansOrRefuse(journal);

    info(`▶ ${describeScenario(scenario)}`);
    info(`  ${phaseLine(scenario)}`);
    const wanted = clusterSettingsFor(scenario, readState()?.settings);
    const existing = readState();
    const runningCount = existing?.second ? 2 : 1;
    if (existing && (shapeOf(existing.settings) !== shapeOf(wanted) || runningCount !== scenario.clusters)) {
      const what = runningCount !== scenario.clusters ? `${runningCount} cluster(s), this scenario wants ${scenario.clusters}` : 'another shape (workers/timings) than this scenario';
      info(`  the running lab has ${what}: recreating it`);
      await down(existing.settings.name, { keepControllerState: true });
    } else if (existing) {
      // The previous run's workload goes first: shrinking a node's memory under what its pods use hangs.
      await task('Previous workload removed', async () => {
        for (const cs of labClusters(existing)) {
          try {
            await deleteWorkload(clients({ clusterName: cs.name }).core);
          } catch {
            // No cluster or no API: nothing to remove; `up` repairs the rest.
          }
        }
      });
    }
    const state = await up({ settings: wanted, source: o.source ?? 'auto', kafka: scenario.kafka.placement, clusters: scenario.clusters });
    const split = scenario.clusters === 2;
    const runClusters: RunCluster[] = labClusters(state).map((settings, i) => ({
      index: split ? i : undefined,
      settings,
      c: clients({ clusterName: settings.name }),
      consul: consulClient(settings.consulHostPort),
    }));
    const first = runClusters[0]!;
    // Progress and errors name the cluster only when there are two.
    const named = (rc: RunCluster, text: string) => (split ? `${rc.settings.name}: ${text}` : text);

    await task('Fresh workload', async (t) => {
      // Each cluster settles on its own; with two, side by side.
      const details = await Promise.all(
        runClusters.map(async (rc) => {
          const { c, consul } = rc;
          t.step(named(rc, 'removing the previous run’s workload'));
          await deleteWorkload(c.core);
          // The deleted pods' agents never said goodbye: wait until gossip has declared them failed
          // (only the servers and Vault's agent alive), then prune them.
          t.step(named(rc, 'waiting for the previous agents to be declared failed'));
          await waitFor(async () => (await memberCounts(consul)).alive <= scenario.consul.servers + 1, { timeoutMs: 90_000, intervalMs: 2000, what: 'the previous run’s Consul agents to leave the pool' }).catch(() => undefined);
          // A node still under pressure from the previous run carries a NoSchedule taint: the new workload
          // would pile onto the others and the run would start lopsided (seen: 30 pods on 2 of 4 workers).
          // The kubelet keeps the condition for its transition period (5 min by default) after pressure ends.
          t.step(named(rc, 'waiting for every node to be Ready and free of pressure'));
          const unsettled = await waitFor(
            async () => {
              const bad = (await c.core.listNode()).items.filter((n) => !nodeSettled(n)).map((n) => n.metadata?.name ?? '?');
              return bad.length === 0 ? true : undefined;
            },
            { timeoutMs: 7 * 60_000, intervalMs: 5000, what: 'every node Ready without pressure' },
          ).then(() => '', (err: unknown) => ` (not settled: ${(err as Error).message})`);
          // Pruned last: agents that were only suspect when the nodes began to settle are failed by now.
          t.step(named(rc, 'pruning the previous agents from the pool'));
          const pool = await pruneUntilClean(consul, rc.settings.consulHostPort);
          const lingering = pool.left ? `, ${pool.left} still not alive` : '';
          return named(rc, `pruned ${pool.pruned} dead Consul members of earlier runs${lingering}${unsettled}`);
        }),
      );
      t.detail(details.join('; '));
    });

    writeFileSync(join(runDir, 'scenario.json'), `${JSON.stringify(scenario, null, 2)}\n`);
    history = HistoryWriter.open(join(runDir, 'history.jsonl'));
    o.onRunDir?.(runDir);
    const live = new LiveStatus();
    history.subscribe(live.observe);
    const self = (await first.consul.agent.self()) as unknown as { Config?: { Version?: string } };
    const vaultVersion = await capture('docker', ['image', 'inspect', '--format', '{{index .Config.Labels "org.opencontainers.image.version"}}', state.images.vault!]).catch(() => '');
    const vers = versions(state.images, self.Config?.Version ?? '?', vaultVersion || (state.images.vault ?? '?'));
    writeFileSync(join(runDir, 'versions.json'), `${JSON.stringify(vers, null, 2)}\n`);
    // A split run lists its clusters: the analysis names them, and knows there were two even if one stayed silent.
    const clusterList = split ? { clusters: runClusters.map((rc) => ({ index: rc.index, name: rc.settings.name, consulHostPort: rc.settings.consulHostPort, vaultHostPort: rc.settings.vaultHostPort })) } : {};
    history.append({ type: 'meta', source: 'controller', runId, versions: vers, scenarioHash: scenario.hash, scenarioName: scenario.name, variants: [...scenario.variants], details: { cluster: state.settings, kafkaPlacement: state.kafkaPlacement, ...clusterList } });

    const nodes: NodeTarget[] = [];
    for (const rc of runClusters) {
      const names = (await capture('docker', ['ps', '--filter', `label=io.x-k8s.kind.cluster=${rc.settings.name}`, '--format', '{{.Names}}'])).split('\n').filter(Boolean);
      for (const name of names) nodes.push({ name, containerId: await capture('docker', ['inspect', '--format', '{{.Id}}', name]), ...(rc.index !== undefined ? { cluster: rc.index } : {}) });
    }
    const nodeNames = nodes.map((n) => n.name);
    recorder = new Recorder({
      runId,
      history,
      clusters: runClusters.map((rc) => ({
        ...(rc.index !== undefined ? { index: rc.index } : {}),
        name: rc.settings.name,
        clients: rc.c,
        consulPort: rc.settings.consulHostPort,
        vaultPort: rc.settings.vaultHostPort,
        vaultToken: loadCredentials(rc.settings.name)?.rootToken,
      })),
      nodes,
      podNamespaces: [WORKLOAD_NS, 'lab'],
      samplePeriodMs: scenario.recorder.samplePeriodMs,
      statsPeriodMs: Math.max(5000, scenario.recorder.samplePeriodMs),
      kafkaBroker: state.kafka.external,
      statsTargets:
        scenario.variant === 'sidecar'
          ? [
              { namespace: WORKLOAD_NS, selector: `app=${APP_LABEL}`, component: 'shipper', port: PORTS.shipper },
              { namespace: WORKLOAD_NS, selector: `app=${APP_LABEL}`, component: 'app', port: PORTS.app },
            ]
          : [
              { namespace: WORKLOAD_NS, selector: 'app=node-agents', component: 'shipper', port: PORTS.shipper },
              { namespace: WORKLOAD_NS, selector: `app=${APP_LABEL}`, component: 'app', port: PORTS.app },
            ],
      samplers: o.samplers !== false,
    });
    await recorder.start();

    const perCluster = split ? ` (${scenario.perCluster.replicas} in each cluster)` : '';
    await task(`Workload: ${scenario.workload.replicas} dev-env pods${perCluster}, ${scenario.variant} variant`, async (t) => {
      const expectedAgents = scenario.variant === 'sidecar' ? scenario.perCluster.replicas : scenario.perCluster.workers;
      const progress = new Map<string, string>();
      await Promise.all(
        runClusters.map(async (rc) => {
          const { c, consul } = rc;
          // Every cluster gets the scenario's per-cluster share; all of them ship to the one broker.
          const objs = renderWorkload({
            scenario,
            images: { apps: state.images.apps!, consul: state.images.consul! },
            kafkaBroker: state.kafka.internal,
            consulServers: [0, 1, 2].slice(0, scenario.consul.servers).map((i) => `consul-server-${i}.consul-server.lab.svc.cluster.local`),
          });
          await applyAll(c.objects, resolveImages(objs, {}));
          await waitFor(
            async () => {
              const pods = (await c.core.listNamespacedPod({ namespace: WORKLOAD_NS })).items;
              const ready = pods.filter((p) => p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')).length;
              const m = await memberCounts(consul).catch(() => undefined);
              progress.set(rc.settings.name, named(rc, `${ready}/${pods.length} pods ready, pool ${m?.alive ?? '?'} alive`));
              t.step([...progress.values()].join('; '));
              const want = scenario.perCluster.replicas + (scenario.variant === 'daemonset' ? scenario.perCluster.workers : 0);
              // Pool: the servers, Vault's agent, and one agent per pod (sidecar) or per node (daemonset).
              return ready === want && pods.length === want && m !== undefined && m.alive >= scenario.consul.servers + 1 + expectedAgents;
            },
            {
              timeoutMs: 8 * 60_000,
              intervalMs: 3000,
              what: named(rc, 'the workload to be Running and its agents in the pool'),
              hint: `kubectl ${split ? `--context ${kubeContextName(rc.settings.name)} ` : ''}-n ${WORKLOAD_NS} get pods -o wide`,
            },
          );
        }),
      );
    });
    live.markSteady(utcIso());
    // One cut for every node of every cluster, applied to all of them at once: the data centre's network went for all.
    driver = new KafkaFaultDriver(journal, history, () => kafkaCutTarget(state, nodeNames, first.c.core));

    const started = Date.now();
    const cpuAtStart = process.cpuUsage();
    let current = '';
    let currentStarted = 0;
    let currentEnds = 0;
    const ticker = setInterval(() => {
      const left = Math.max(0, currentEnds - Date.now());
      info(`  ${formatDuration(Date.now() - currentStarted)} into ${current} (${formatDuration(left)} left, run ${formatDuration(Date.now() - started)}) · ${live.line()}`);
    }, 10_000);
    try {
      for (const [index, phase] of scenario.phases.entries()) {
        if (clock.aborted) break;
        history.append({ type: 'phase', source: 'controller', name: phase.name, edge: 'start', index, plannedMs: phase.durationMs });
        info(`▸ ${phase.name}${phase.durationMs ? ` (${formatDuration(phase.durationMs)})` : ''}`);
        current = phase.name;
        currentStarted = Date.now();
        currentEnds = currentStarted + phase.durationMs;
        if (phase.name === 'cut') {
          if (scenario.fault.mode === 'flap') driver.startFlapping(clock, scenario.fault.flap.upMs, scenario.fault.flap.downMs);
          else await driver.cut();
        } else if (phase.name === 'restore') {
          await driver.restore();
        }
        if (phase.name === 'remedy') await applyRemedy(journal, history, runClusters, clock, phase.durationMs);
        else await clock.sleep(phase.durationMs);
        history.append({ type: 'phase', source: 'controller', name: phase.name, edge: 'end', index });
      }
    } finally {
      clearInterval(ticker);
      // The controller's own CPU (recorder included) over the phases: the recorder-overhead benchmark reads it.
      const used = process.cpuUsage(cpuAtStart);
      const wall = Date.now() - started;
      history.append({ type: 'note', source: 'controller', text: `controller cpu ${((used.user + used.system) / 1000 / wall).toFixed(4)} cores over ${wall} ms of phases (samplers ${o.samplers !== false ? 'on' : 'off'})` });
    }
    if (clock.aborted) status = 'aborted';
    else {
      await task('Drain: every line written so far reaches Kafka', async (t) => {
        const r = await drain(runClusters, recorder!, clock, 90_000, (x) => t.step(x), writtenAtDrain);
        t.detail(r);
        history!.append({ type: 'note', source: 'controller', text: `drain: ${r}` });
      });
    }
  } catch (err) {
    status = 'failed';
    history?.append({ type: 'note', source: 'controller', text: `run failed: ${(err as Error).message}`, level: 'error' });
    throw err;
  } finally {
    process.off('SIGINT', handlers.SIGINT);
    process.off('SIGTERM', handlers.SIGTERM);
    // Heal first, observe after: whatever went wrong, the network comes back before anything else. A heal
    // that is not verified, or a failed flap, fails the run (thrown below, once the lock is released), so
    // the command never prints "✔ Network healed" for it.
    const notHealed: string[] = [];
    if (driver) await driver.restore().catch((err: unknown) => void notHealed.push((err as Error).message));
    const rest = await healJournal(journal, 'all').catch((err: unknown) => ({ failed: [{ id: 'journal', fault: '', reason: (err as Error).message }] }));
    if (rest.failed.length) notHealed.push(describeFailures(rest.failed));
    if (notHealed.length) status = 'failed';
    if (recorder) {
      await recorder.stop().catch(() => {});
      history?.append({ type: 'kafka', source: 'recorder/final', topic: 'logs', delivered: recorder.delivery.totals() });
    }
    history?.append({ type: 'note', source: 'controller', text: `run ${status}`, level: status === 'completed' ? 'info' : 'warn' });
    history?.close();
    lock.release();
    if (notHealed.length) throw new LabError(`✖ run ${runId} failed: ${notHealed.join('; ')}`, HEAL_OR_DOWN);
  }
  const delivery = Object.entries(recorder?.delivery.totals() ?? {}).map(([pod, d]) => {
    const app = recorder?.lastStats.get(`app/${pod}`);
    // Sequence numbers start at 1: every line up to maxSeq arrived iff there are maxSeq distinct ones.
    // `written` is the app's last sample, taken until the recorder stopped, so it may hold lines still in
    // flight; `writtenAtDrain` is what the drain proved delivered (absent when the run ended before it).
    const atDrain = writtenAtDrain.get(pod);
    return { pod, written: app?.log_lines_total, ...(atDrain !== undefined ? { writtenAtDrain: atDrain } : {}), delivered: d.unique, duplicates: d.duplicates, holes: d.maxSeq - d.unique };
  });
  writeFileSync(join(runDir, 'delivery.json'), `${JSON.stringify(delivery, null, 2)}\n`);
  return { runDir, scenario, status, delivery };
}

