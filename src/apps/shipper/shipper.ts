// The shipper assembled from its parts; main.ts feeds it the environment, the component test feeds
// it a config directly and runs it in-process.
import type { Server } from 'node:http';
import { systemClock, type Clock } from '../lib/clock.ts';
import { startStatusServer } from '../lib/http.ts';
import { kubeConfig } from '../lib/kube.ts';
import type { Logger } from '../lib/log.ts';
import { Registry } from '../lib/metrics.ts';
import { kafkaSinkFromConfig } from '../pipeline/kafka-sink.ts';
import { Pipeline } from '../pipeline/pipeline.ts';
import { RetryLog } from '../pipeline/retry-log.ts';
import type { Sink } from '../pipeline/sink.ts';
import type { ShipperConfig } from './config.ts';
import { DockerClient } from './docker-client.ts';
import { DockerSource } from './docker-source.ts';
import { FileSource } from './file-source.ts';
import { KubeSource } from './kube-source.ts';
import { Positions } from './positions.ts';
import { createSelection } from './selection.ts';
import { newSourceStats, type Source, type SourceStats } from './source.ts';

export interface Shipper {
  readonly registry: Registry;
  readonly pipeline: Pipeline;
  readonly stats: SourceStats;
  readonly server: Server;
  stop(): Promise<void>;
}

export interface ShipperOptions {
  sink?: Sink;
  clock?: Clock;
  /** Where the retry log goes instead of stdout (tests). */
  retryOut?: (line: string) => void;
}

export async function startShipper(cfg: ShipperConfig, log: Logger, opts: ShipperOptions = {}): Promise<Shipper> {
  const clock = opts.clock ?? systemClock;
  const positions = new Positions(cfg.positionsFile, log);
  positions.load();
  const sink = opts.sink ?? kafkaSinkFromConfig(cfg.pipeline, `shipper-${cfg.podName}`, log);
  const retryLog = new RetryLog(cfg.retryLog, 'shipper', opts.retryOut, () => clock.now());
  const pipeline = new Pipeline(cfg.pipeline, sink, log, { acked: (r) => positions.done(r), dropped: (r) => positions.done(r) }, clock, retryLog);
  const stats = newSourceStats();
  const selection = createSelection(cfg.selection);
  let source: Source;
  if (cfg.source === 'file') {
    source = new FileSource(
      {
        root: cfg.logRoot,
        selection,
        pollMs: cfg.pollMs,
        discoveryMs: cfg.discoveryMs,
        budgetBytes: cfg.budgetBytes,
        tail: { readFrom: cfg.readFrom, streams: new Set(cfg.streams), chunkBytes: cfg.chunkBytes },
      },
      pipeline,
      stats,
      positions,
      clock,
      log,
    );
  } else if (cfg.source === 'docker-api') {
    const self = cfg.selection.self;
    source = new DockerSource(
      {
        discovery: {
          scope: cfg.selection.scope,
          self: { namespace: self.namespace ?? '', pod: self.pod ?? '', uid: self.uid },
          namespaces: cfg.selection.namespaces,
          containers: cfg.selection.containers,
          selector: cfg.docker.selector,
        },
        selection,
        discoveryMs: cfg.discoveryMs,
        stream: { reconnectMs: cfg.docker.reconnectMs, idleMs: cfg.docker.idleMs, readFrom: cfg.readFrom, streams: new Set(cfg.streams) },
      },
      new DockerClient({ socketPath: cfg.docker.socket, timeoutMs: cfg.docker.timeoutMs }),
      pipeline,
      stats,
      positions,
      clock,
      log,
    );
  } else {
    const self = cfg.selection.self;
    source = new KubeSource(
      {
        scope: cfg.selection.scope,
        self: { namespace: self.namespace ?? '', pod: self.pod ?? '', uid: self.uid },
        nodeName: cfg.nodeName,
        namespaces: cfg.selection.namespaces,
        labelSelector: cfg.labelSelector,
        containers: cfg.selection.containers,
        selection,
        discoveryMs: cfg.discoveryMs,
        stream: { reconnectMs: cfg.kubeReconnectMs, idleMs: cfg.kubeIdleMs, readFrom: cfg.readFrom },
      },
      kubeConfig(),
      pipeline,
      stats,
      positions,
      clock,
      log,
    );
  }

  const registry = new Registry('shipper');
  registry.setInfo({ source: cfg.source, scope: cfg.selection.scope, pod: cfg.podName, retry_log: cfg.retryLog });
  registry.counter('lines_read_total', 'Complete log lines read from the source (partial lines joined).', () => stats.linesRead);
  registry.counter('bytes_read_total', 'Bytes read from the source (CRI file bytes, kubelet response bytes, or dockerd stream bytes with frame headers).', () => stats.bytesRead);
  registry.counter('lines_reread_total', 'Lines read again after a kubelet-api or docker-api reconnect and skipped.', () => stats.linesReread);
  registry.counter('parse_errors_total', 'Source lines that were not valid CRI (or timestamped) lines.', () => stats.parseErrors);
  registry.counter('partial_lines_joined_total', 'Lines assembled from partial (P) CRI records.', () => stats.partialJoined);
  registry.counter('rotations_total', 'Moves to the next log file (rotation or container restart).', () => stats.rotations);
  registry.counter('reconnects_total', 'kubelet-api and docker-api log stream reconnects.', () => stats.reconnects);
  registry.gauge('streams', 'Container logs followed now.', () => stats.streams);
  registry.gauge('streams_blocked', 'Streams waiting for buffer room now.', () => stats.blocked);
  pipeline.register(registry);

  const server = await startStatusServer({ port: cfg.port, registry, details: () => pipeline.details(), log });
  const saver = setInterval(() => positions.save(), cfg.positionsSaveMs);
  pipeline.start();
  source.start();
  log.info('shipper started', { source: cfg.source, scope: cfg.selection.scope, retryLog: cfg.retryLog, mode: cfg.pipeline.policy.mode, port: cfg.port, topic: cfg.pipeline.kafka.topic });

  return {
    registry,
    pipeline,
    stats,
    server,
    async stop() {
      clearInterval(saver);
      await source.stop();
      await pipeline.stop();
      positions.save();
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
    },
  };
}
