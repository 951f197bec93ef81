import { join } from 'node:path';
import type { Clients } from '../../cluster/kube.ts';
import type { ClusterSettings } from '../../cluster/settings.ts';
import type { LabState } from '../../cluster/state.ts';
import type { consulClient } from '../../components/consul.ts';
import { FaultJournal } from '../../faults/journal.ts';
import type { HistoryWriter } from '../../history/writer.ts';
import type { ImageSource } from '../../images/build.ts';
import type { NodeTarget } from '../../recorder/cpu-sampler.ts';
import type { Recorder } from '../../recorder/recorder.ts';
import type { UserTier } from '../../lb/user-tier.ts';
import type { ResolvedScenario } from '../../scenario/index.ts';
import { ensureDir, runsDir, stateDir } from '../../util/paths.ts';
import { fileStamp } from '../../util/time.ts';
import { AbortableClock } from '../clock.ts';
import type { KafkaFaultDriver } from '../kafka-fault.ts';
import type { LiveStatus } from '../live-status.ts';
import { acquireLock, type LabLock } from '../lock.ts';

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

/** Whether the network is back: verified, or not and why (the run then fails, and the user is told to heal). */
export type NetworkVerdict = { verified: true } | { verified: false; reason: string };

export interface ReplayResult {
  runDir: string;
  scenario: ResolvedScenario;
  status: 'completed' | 'aborted' | 'failed';
  network: NetworkVerdict;
  delivery: { pod: string; written?: number; writtenAtDrain?: number; delivered: number; duplicates: number; holes: number }[];
}

/** One cluster of the run: one, or the two of a split run. */
export interface RunCluster {
  /** Written as `cluster` on this cluster's records in a split run; undefined in a one-cluster run. */
  index: number | undefined;
  settings: ClusterSettings;
  c: Clients;
  consul: ReturnType<typeof consulClient>;
}

/** `cluster: i` for a split run's records about cluster i; nothing for a one-cluster run. */
export const tag = (rc: Pick<RunCluster, 'index'>) => (rc.index === undefined ? {} : { cluster: rc.index });

/**
 * What the steps of a replay share: the run's identity and the controller's own state (lock, journal,
 * clock), decided when the run opens, and what each step leaves for the next (named beside each field).
 */
export class RunContext {
  readonly runId: string;
  readonly runDir: string;
  readonly lock: LabLock;
  readonly journal: FaultJournal;
  /** The phases sleep on this clock: a signal ends the sleep and the run goes straight to its end. */
  readonly clock = new AbortableClock();
  status: ReplayResult['status'] = 'completed';

  /** prepare cluster: the lab as `up` left it, and the run's clusters. */
  state!: LabState;
  clusters!: RunCluster[];
  /** start recorder: the history, its live summary, the node containers and the recorder. */
  history: HistoryWriter | undefined;
  live!: LiveStatus;
  nodes!: NodeTarget[];
  recorder: Recorder | undefined;
  /** users: the LB tier and its load generator, when the scenario sends traffic. */
  users: UserTier | undefined;
  /** workload ready: the one handle on the network; its presence means the phases began. */
  driver: KafkaFaultDriver | undefined;
  /** drain: each pod's count the drain waited for (the apps keep writing after it). */
  readonly writtenAtDrain = new Map<string, number>();
  /** heal and stop: whether the network is verifiably back. */
  network: NetworkVerdict = { verified: true };

  constructor(
    readonly o: ReplayOptions,
    readonly scenario: ResolvedScenario,
  ) {
    this.runId = `${fileStamp()}-${scenario.name}-${scenario.variant}${scenario.variants.filter((v) => v !== scenario.variant).map((v) => `+${v}`).join('')}`;
    this.lock = acquireLock(stateDir, this.runId, { command: 'replay' });
    this.journal = FaultJournal.open(stateDir, { runId: this.runId });
    this.runDir = ensureDir(join(runsDir, this.runId));
  }

  get split(): boolean {
    return this.scenario.clusters === 2;
  }

  get first(): RunCluster {
    return this.clusters[0]!;
  }

  /** Progress and errors name the cluster only when there are two. */
  named(rc: RunCluster, text: string): string {
    return this.split ? `${rc.settings.name}: ${text}` : text;
  }
}

/** One named step of a replay; they run in the order of REPLAY_STEPS (replay.ts). */
export interface ReplayStep {
  name: string;
  run(ctx: RunContext): Promise<void>;
}
