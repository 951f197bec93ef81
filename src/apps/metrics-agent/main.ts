// The metrics agent: scrapes /metrics and ships the samples to Kafka through the same buffer and flush
// modes as the log shipper. Sidecar: its own pod's app. DaemonSet (SCRAPE_DISCOVERY=node): every app
// pod on its node, each sample still keyed by the app pod it describes.
import { systemClock } from '../lib/clock.ts';
import { startStatusServer } from '../lib/http.ts';
import { createLogger } from '../lib/log.ts';
import { Registry } from '../lib/metrics.ts';
import { onShutdown, runMain } from '../lib/process.ts';
import { kafkaSinkFromConfig } from '../pipeline/kafka-sink.ts';
import { Pipeline } from '../pipeline/pipeline.ts';
import { metricsAgentConfig } from './config.ts';
import { Discovery } from './discovery.ts';
import { fixedTargets, Scraper, type ScrapeTarget } from './scraper.ts';

const boot = createLogger('metrics-agent');

runMain(boot, async () => {
  const cfg = metricsAgentConfig(process.env);
  const { pod } = cfg;
  const log = createLogger('metrics-agent', { level: cfg.logLevel }, { pod });
  const sink = kafkaSinkFromConfig(cfg.pipeline, `metrics-agent-${pod}`, log);
  const pipeline = new Pipeline(cfg.pipeline, sink, log);

  const t = cfg.targets;
  let discovery: Discovery | undefined;
  let targets: () => readonly ScrapeTarget[];
  if (t.mode === 'node') {
    // Loaded only here (its own bundle chunk): the Kubernetes client costs ~20 MB of memory, which
    // every sidecar agent would otherwise carry unused, skewing the sidecar variant's memory.
    const [{ kubeConfig }, { nodePodLister }] = await Promise.all([import('../lib/kube.ts'), import('./kube-pods.ts')]);
    const d = new Discovery(
      nodePodLister(kubeConfig(), { namespace: t.namespace, nodeName: t.nodeName, labelSelector: t.labelSelector, timeoutMs: t.refreshMs }),
      { port: t.port, path: t.path, refreshMs: t.refreshMs },
      systemClock,
      log,
    );
    discovery = d;
    targets = () => d.targets;
  } else {
    const fixed = fixedTargets(t.urls, pod);
    targets = () => fixed;
  }
  const scraper = new Scraper({ targets, intervalMs: cfg.intervalMs, timeoutMs: cfg.timeoutMs }, pipeline, systemClock, log);

  const registry = new Registry('metrics_agent');
  registry.setInfo({ pod, discovery: t.mode });
  registry.counter('scrapes_total', 'Scrapes attempted.', () => scraper.scrapes);
  registry.counter('scrape_errors_total', 'Scrapes that failed.', () => scraper.scrapeErrors);
  registry.counter('samples_total', 'Samples accepted into the buffer.', () => scraper.samples);
  registry.counter('samples_refused_total', 'Samples refused by a full blocking buffer.', () => scraper.samplesRefused);
  registry.gauge('last_scrape_seconds', 'Duration of the last scrape round over all targets.', () => scraper.lastScrapeMs / 1000);
  registry.gauge('targets', 'Scrape targets now.', () => targets().length);
  if (discovery) {
    const d = discovery;
    registry.counter('discovery_errors_total', 'Pod lists that failed (the last targets were kept).', () => d.errors);
  }
  pipeline.register(registry);
  const server = await startStatusServer({ port: cfg.port, registry, details: () => pipeline.details(), log });

  pipeline.start();
  // The first list before the first scrape, so the first round is not an empty one.
  if (discovery) {
    await discovery.refresh();
    discovery.start();
  }
  scraper.start();
  log.info('metrics agent started', { port: cfg.port, mode: cfg.pipeline.policy.mode, topic: cfg.pipeline.kafka.topic, discovery: t.mode, targets: targets().length });
  onShutdown(log, async () => {
    await discovery?.stop();
    await scraper.stop();
    await pipeline.stop();
    await new Promise<void>((r) => server.close(() => r()));
  });
});
