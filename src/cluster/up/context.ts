import { join } from 'node:path';
import type { ConsulTunings } from '../../components/consul-config.ts';
import type { KafkaEndpoint } from '../../components/kafka.ts';
import type { ImageSource } from '../../images/build.ts';
import type { NodeImages } from '../../images/bake.ts';
import { runtimeProvider, type RuntimeProvider } from '../../runtime/index.ts';
import { LabError } from '../../util/errors.ts';
import { logsDir } from '../../util/paths.ts';
import type { EarlyLoad } from '../early-load.ts';
import { withEnvPorts, type ClusterSettings, type KafkaPlacement } from '../settings.ts';
import { readState, type LabState } from '../state.ts';

export interface UpOptions {
  /** The lab's cluster; with two clusters, the first, the second being its twin (settings.secondCluster). */
  settings: ClusterSettings;
  source?: ImageSource;
  consul?: ConsulTunings;
  /** Where Kafka runs; unset keeps the running lab's choice (external for a new lab). */
  kafka?: KafkaPlacement;
  /** One cluster, or two of `settings.workers` workers each sharing one Kafka; unset keeps the running lab's count (one for a new lab). */
  clusters?: 1 | 2;
}

/** One cluster's part of `lab up`, as it goes along. */
export interface UpCluster {
  s: ClusterSettings;
  /** The lab's first cluster (the one the broker is recreated with). */
  first: boolean;
  exists: boolean;
  early: EarlyLoad;
  nodes: string[];
  /** The lab images its node image carries, by role. */
  inNodes: NodeImages;
}

/**
 * What the steps of `lab up` share, as kind's actions share their context: the inputs, decided once, and
 * what each step leaves for the ones after it (the step that fills a field is named beside it).
 */
export class UpContext {
  readonly s: ClusterSettings;
  readonly runtime: RuntimeProvider;
  readonly previous: LabState | undefined;
  readonly placement: KafkaPlacement;
  readonly count: 1 | 2;
  /** The log file of every command `lab up` runs. */
  readonly log: string;

  /** images: the catalog's refs by name. */
  images!: Record<string, string>;
  /** node images: the node image of each role, lab images baked in. */
  nodeImages!: NodeImages;
  /** kind: the kind binary. */
  kind!: string;
  /** plan clusters: the clusters wanted; create clusters fills their nodes. */
  clusters: UpCluster[] = [];
  /** start Kafka: the broker booting while the images load (awaited by the round trips). */
  kafkaStarting!: Promise<{ ep: KafkaEndpoint; subnet?: string }>;
  /** deploy: the workers' image loads, awaited last. */
  workerImages: Promise<unknown>[] = [];
  /** write state: what `lab up` returns. */
  state!: LabState;

  constructor(readonly opts: UpOptions) {
    this.s = withEnvPorts(opts.settings);
    this.runtime = runtimeProvider(this.s.runtime);
    this.previous = readState();
    this.placement = opts.kafka ?? this.previous?.kafkaPlacement ?? 'external';
    this.count = opts.clusters ?? (this.previous?.second ? 2 : 1);
    if (this.count === 2 && this.placement === 'in-cluster') {
      throw new LabError(
        'two clusters share one Kafka outside them (the data centre); an in-cluster broker would live in one of the two',
        'use --kafka external with --clusters 2 (scenario: kafka.placement: external with clusters: 2)',
      );
    }
    this.log = join(logsDir(), 'up.log');
  }

  /** The runtime's plain node image (before baking). */
  get nodeImage(): string {
    return this.images[this.runtime.nodeImage]!;
  }

  get allNodes(): string[] {
    return this.clusters.flatMap((c) => c.nodes);
  }

  /** ` of <cluster>` in progress lines, only when there are two clusters. */
  of(c: UpCluster, format: (name: string) => string = (n) => ` of ${n}`): string {
    return this.clusters.length > 1 ? format(c.s.name) : '';
  }
}

/** One named step of `lab up`; they run in the order of UP_STEPS (up.ts). */
export interface UpStep {
  name: string;
  run(ctx: UpContext): Promise<void>;
}
