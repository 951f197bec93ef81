import { driverOf, type FaultContext, type FaultDriver, type TcpTarget } from './driver.ts';
import { combine, type Fault, type Verdict } from './fault.ts';

/**
 * The fault of 2019: the network between the cluster and Kafka is gone. Packets from every node (pods
 * through FORWARD, host-network agents through OUTPUT) to the broker are dropped, not rejected: an outage
 * of the network looks like silence and timeouts, not like a refused connection.
 */
export interface KafkaCutParams {
  nodes: string[];
  kafkaIp: string;
  /** Marks the lab's rules so heal removes exactly those, even without the journal. */
  comment: string;
  /**
   * A broker inside the cluster is reached by the host's clients through the nodes too (kind's loopback
   * port, a NodePort, then FORWARD to the pod): TCP to this port of the broker, its host listener, stays
   * open, so the lab's instruments see the broker as they do an external one. Unset for the external broker.
   */
  keepTcpPort?: number;
  /**
   * Where a pod reaches the broker, for the heal's proof that traffic flows again: an address that
   * outlives the broker's pod (the Service's ClusterIP in the cluster, the container's fixed IP outside).
   * Journals written before it existed lack it; the heal then asks the lab's state.
   */
  probe?: TcpTarget;
  /** How the rules reach the nodes (FaultContext.driverFor): absent is the context's default, node-exec. */
  via?: FaultVia;
  /** With `via: agent`: the dead-man bound the controller's Lease carries. */
  agentDeadlineMs?: number;
}

export const FAULT_VIAS = ['node-exec', 'agent'] as const;
export type FaultVia = (typeof FAULT_VIAS)[number];

export const CUT_COMMENT = 'outage-lab-kafka-cut';
const CHAINS = ['FORWARD', 'OUTPUT'] as const;
/** How long one TCP probe may take, and how many a heal tries before it says traffic does not flow. */
const PROBE_TIMEOUT_MS = 3000;
const PROBE_ATTEMPTS = 3;

/**
 * The rules of a cut, each as the arguments after -I / -D. kube-proxy's DNAT (Service IP to pod IP) is
 * done in PREROUTING for pods and in nat OUTPUT for the nodes' own processes, both before the filter
 * chains, so FORWARD and OUTPUT see the broker's own address either way: matching it is enough.
 */
export function cutRules(p: KafkaCutParams): string[][] {
  const tail = ['-m', 'comment', '--comment', p.comment, '-j', 'DROP'];
  const dest = ['-d', `${p.kafkaIp}/32`];
  return CHAINS.flatMap((chain) =>
    p.keepTcpPort === undefined
      ? [[chain, ...dest, ...tail]]
      : [
          [chain, ...dest, '-p', 'tcp', '!', '--dport', String(p.keepTcpPort), ...tail],
          [chain, ...dest, '!', '-p', 'tcp', ...tail],
        ],
  );
}

/** Splits an `iptables -S` line into arguments (it double-quotes values with spaces). */
export function splitRuleLine(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}

/** The lab's rules among `iptables -S` lines, each as the arguments that delete it (chain first). */
export function labRulesIn(lines: readonly string[], comment: string): string[][] {
  return lines
    .map(splitRuleLine)
    .filter((a) => a[0] === '-A' && a.some((x, i) => x === comment && a[i - 1] === '--comment'))
    .map((a) => a.slice(1));
}

function isIpv4(s: unknown): s is string {
  return typeof s === 'string' && /^(\d{1,3})(\.\d{1,3}){3}$/.test(s);
}

function parseParams(raw: Record<string, unknown>): KafkaCutParams | undefined {
  const { nodes, kafkaIp, comment, keepTcpPort, probe, via, agentDeadlineMs } = raw as Partial<Record<keyof KafkaCutParams, unknown>>;
  if (!Array.isArray(nodes) || nodes.length === 0 || !nodes.every((n) => typeof n === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(n))) return undefined;
  if (!isIpv4(kafkaIp) || typeof comment !== 'string' || comment === '') return undefined;
  if (keepTcpPort !== undefined && !Number.isInteger(keepTcpPort)) return undefined;
  // A driver this lab does not know cannot be trusted to heal: the params count as damaged.
  if (via !== undefined && !(FAULT_VIAS as readonly unknown[]).includes(via)) return undefined;
  if (agentDeadlineMs !== undefined && !(Number.isInteger(agentDeadlineMs) && (agentDeadlineMs as number) > 0)) return undefined;
  const pr = probe as Partial<TcpTarget> | undefined;
  const okProbe = pr !== undefined && isIpv4(pr.host) && Number.isInteger(pr.port);
  return {
    nodes: nodes as string[],
    kafkaIp,
    comment,
    ...(keepTcpPort !== undefined ? { keepTcpPort: keepTcpPort as number } : {}),
    ...(okProbe ? { probe: { host: pr.host!, port: pr.port! } } : {}),
    ...(via !== undefined ? { via: via as FaultVia } : {}),
    ...(agentDeadlineMs !== undefined ? { agentDeadlineMs: agentDeadlineMs as number } : {}),
  };
}

const why = (err: unknown) => (err as Error).message;

/** Deletes every lab rule on the node, copies included (a crash between two inserts leaves duplicates). */
async function removeLabRules(driver: FaultDriver, node: string, comment: string): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const rules = labRulesIn(await driver.listRules(node), comment);
    if (rules.length === 0) return;
    for (const r of rules) await driver.deleteRule(node, r);
  }
}

/** Rules part of the verdict: every node's list read, none holding a lab rule. */
async function rulesVerdict(driver: FaultDriver, nodes: readonly string[], comment: string): Promise<Verdict> {
  return combine(
    await Promise.all(
      nodes.map(async (node): Promise<Verdict> => {
        try {
          const left = labRulesIn(await driver.listRules(node), comment);
          return left.length === 0 ? { presence: 'clear', detail: `${node}: no lab rule` } : { presence: 'active', detail: `${node} still has ${left.length} lab rule(s)` };
        } catch (err) {
          return { presence: 'unknown', detail: `${node}: rules could not be read (${why(err)})` };
        }
      }),
    ),
  );
}

/** Traffic part of the verdict: from every node (a pod's namespace where one runs), a TCP connection to Kafka opens. */
async function trafficVerdict(ctx: FaultContext, nodes: readonly string[], target: TcpTarget): Promise<Verdict> {
  const to = `${target.host}:${target.port}`;
  return combine(
    await Promise.all(
      nodes.map(async (node): Promise<Verdict> => {
        let last = '';
        for (let i = 0; i < PROBE_ATTEMPTS; i++) {
          try {
            const r = await ctx.driver.tcpProbe(node, target, PROBE_TIMEOUT_MS);
            if (r.connected) return { presence: 'clear', detail: `${node}: TCP to Kafka ${to} opens from ${r.from}` };
            last = `${node}: no lab rule left, yet TCP to Kafka ${to} does not open from ${r.from}`;
          } catch (err) {
            last = `${node}: the TCP probe to Kafka ${to} could not run (${why(err)})`;
          }
          if (i < PROBE_ATTEMPTS - 1) await new Promise((r) => setTimeout(r, ctx.retryDelayMs ?? 1000));
        }
        return { presence: 'unknown', detail: last };
      }),
    ),
  );
}

async function verifyOn(ctx: FaultContext, nodes: readonly string[], comment: string, target: TcpTarget | undefined): Promise<Verdict> {
  const rules = await rulesVerdict(ctx.driver, nodes, comment);
  if (rules.presence !== 'clear' || nodes.length === 0) return rules;
  const to = target ?? (await ctx.kafkaProbe().catch(() => undefined));
  if (!to) return { presence: 'unknown', detail: 'no lab rule left, but there is no Kafka address to prove traffic flows (lab state missing?)' };
  const traffic = await trafficVerdict(ctx, nodes, to);
  return traffic.presence === 'clear' ? { presence: 'clear', detail: `no lab rule on ${nodes.length} node(s); TCP to Kafka ${to.host}:${to.port} opens from each` } : traffic;
}

/** The context with the driver the cut's params name (`via`) as its driver. */
function via(p: KafkaCutParams, ctx: FaultContext): FaultContext {
  return { ...ctx, driver: driverOf(ctx, p as unknown as Record<string, unknown>) };
}

export const kafkaCut: Fault<KafkaCutParams> = {
  params: parseParams,

  /** Completes a partial cut: every rule of the cut on every node, each checked on its own. */
  async inject(p, ctx) {
    const { driver } = via(p, ctx);
    await Promise.all(
      p.nodes.map(async (node) => {
        for (const rule of cutRules(p)) {
          if (!(await driver.hasRule(node, rule))) await driver.insertRule(node, rule);
        }
      }),
    );
  },

  async heal(p, ctx) {
    const { driver } = via(p, ctx);
    const errors: string[] = [];
    await Promise.all(p.nodes.map((node) => removeLabRules(driver, node, p.comment).catch((err: unknown) => void errors.push(why(err)))));
    if (errors.length) throw new Error(errors.join('; '));
  },

  verify: (p, ctx) => verifyOn(via(p, ctx), p.nodes, p.comment, p.probe),

  async healWithoutParams(ctx) {
    const nodes: string[] = [];
    const unknown: Verdict[] = [];
    for (const cluster of ctx.labClusters()) {
      try {
        nodes.push(...(await ctx.driver.nodesOf(cluster)));
      } catch (err) {
        unknown.push({ presence: 'unknown', detail: `the nodes of cluster ${cluster} could not be listed (${why(err)})` });
      }
    }
    await Promise.all(nodes.map((node) => removeLabRules(ctx.driver, node, CUT_COMMENT).catch(() => undefined)));
    if (unknown.length) return combine(unknown);
    if (nodes.length === 0) return { presence: 'clear', detail: `no node of the lab's clusters (${ctx.labClusters().join(', ')}) exists: no rule can be left` };
    return verifyOn(ctx, nodes, CUT_COMMENT, undefined);
  },
};
