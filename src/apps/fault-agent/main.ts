// The fault agent: a privileged DaemonSet pod on every node (manifests/fault-agent/agent.yaml) that holds
// the lab's Kafka cut on its own node for as long as the controller keeps renewing the Lease, and removes
// it when the renewals stop (dead-man.ts) or when the pod is stopped. It takes orders only from the Lease;
// its HTTP port only answers reads, for the controller's fail-closed heal (drivers/agent.ts).
import { ORDERS_ANNOTATION } from '../../faults/agent-protocol.ts';
import { sendJson, startStatusServer } from '../lib/http.ts';
import { kubeConfig } from '../lib/kube.ts';
import { createLogger, errorMessage } from '../lib/log.ts';
import { Registry } from '../lib/metrics.ts';
import { onShutdown, runMain } from '../lib/process.ts';
import { FaultAgent } from './agent.ts';
import { faultAgentConfig } from './config.ts';
import { detectBackend, Iptables, runProgram } from './iptables.ts';
import { leaseReader } from './lease-reader.ts';
import { probeFromPods } from './probe.ts';

const boot = createLogger('fault-agent');
const monotonic = () => performance.now();

runMain(boot, async () => {
  const cfg = faultAgentConfig(process.env);
  const log = createLogger('fault-agent', { level: cfg.logLevel }, { node: cfg.node });
  const backend = await detectBackend(runProgram);
  const iptables = new Iptables(backend);
  // A read is given one poll: a slower one counts as no observation, and the dead-man bound allows for it.
  const readLease = leaseReader(kubeConfig(), cfg.namespace, cfg.lease, ORDERS_ANNOTATION, cfg.pollMs);
  const agent = new FaultAgent({ node: cfg.node, comment: cfg.comment, pollMs: cfg.pollMs, deadlineMs: cfg.deadlineMs, readLease, iptables, now: monotonic, log });

  const registry = new Registry('fault_agent');
  registry.setInfo({ node: cfg.node, backend });
  registry.counter('polls_total', 'Lease polls.', () => agent.counts.polls);
  registry.counter('lease_read_errors_total', 'Lease reads that failed or timed out.', () => agent.counts.leaseReadErrors);
  registry.counter('rules_inserted_total', 'Lab rules inserted.', () => agent.counts.inserted);
  registry.counter('rules_removed_total', 'Lab rules removed.', () => agent.counts.removed);
  registry.counter('sweeps_total', 'Sweeps that left no lab rule.', () => agent.counts.sweeps);

  const server = await startStatusServer({
    port: cfg.port,
    host: cfg.hostIp,
    registry,
    log,
    details: () => ({ node: cfg.node, state: agent.state, last_action: agent.lastAction, last_error: agent.lastError ?? null, deadline_ms: agent.deadMan.deadlineMs }),
    routes: {
      // Read now, at the moment of asking: the heal's verdict must not rest on an old listing.
      'GET /rules': (_req, _url, res) => {
        iptables.list().then(
          (lines) => sendJson(res, 200, { node: cfg.node, backend, state: agent.state, lines }),
          (err: unknown) => sendJson(res, 500, { node: cfg.node, error: errorMessage(err) }),
        );
      },
      // Only to the address the Lease names, read afresh: the port is open on the node's address, and
      // must not become a way to make a privileged pod connect anywhere.
      'GET /probe': (_req, _url, res) => {
        (async () => {
          await agent.refresh();
          const target = agent.orders.probe;
          if (!target) return sendJson(res, 409, { node: cfg.node, error: 'the Lease names no probe target' });
          const a = await probeFromPods(runProgram, target, cfg.hostRun);
          sendJson(res, 200, { node: cfg.node, target, ...a });
        })().catch((err: unknown) => sendJson(res, 500, { node: cfg.node, error: errorMessage(err) }));
      },
    },
  });

  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const began = monotonic();
      await agent.poll();
      const wait = cfg.pollMs - (monotonic() - began);
      if (wait > 0 && !stopped) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  log.info('fault agent started', { backend, port: cfg.port, host: cfg.hostIp, lease: `${cfg.namespace}/${cfg.lease}`, comment: cfg.comment, pollMs: cfg.pollMs });

  // Stopped (the DaemonSet removed, the pod evicted, the node drained): nothing of the lab stays behind.
  onShutdown(log, async () => {
    stopped = true;
    await loop;
    for (let i = 0; ; i++) {
      try {
        const removed = await agent.sweep();
        log.info('stopped: lab rules removed', { removed });
        break;
      } catch (err) {
        if (i >= 4) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    await new Promise<void>((r) => server.close(() => r()));
  });
});
