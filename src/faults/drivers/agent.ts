// The agent fault driver: how a cut is applied on a real cluster, without `docker exec` or any route to
// the nodes. A DaemonSet of fault agents (src/apps/fault-agent, manifests/fault-agent) runs on every node
// in its network namespace. This driver writes the rules each node should have into the Lease
// `lab/fault-agent` (an annotation, agent-protocol.ts) and renews the Lease every few seconds while any
// rule is ordered; each agent makes its node match the orders, and removes every lab rule when the
// renewals stop (the controller was killed, the laptop slept, the network parted: dead-man.ts) or when it
// is stopped. Reads (`listRules`, `hasRule`, `tcpProbe`) go to the agent on that node through the API
// server's pod proxy and are answered from what the agent reads at that moment.
//
// The contract of driver.ts holds: a node whose agent cannot be asked (none running there, no answer, a
// garbled answer, the answer of another node's agent) rejects, never resolves with a guess; an insert or
// a delete resolves only once the agent on that node reads the change back.
import { hostname } from 'node:os';
import { hasAnyRule, listingHas, parseOrders, renewEveryMs, ruleKey, serializeOrders, type Orders } from '../agent-protocol.ts';
import { LeaseConflict, type AgentApi, type LeaseDoc } from '../agent-api.ts';
import { CUT_COMMENT } from '../kafka-network.ts';
import type { FaultDriver, TcpProbeResult } from '../driver.ts';

export class AgentDriverError extends Error {
  override name = 'AgentDriverError';
}

export interface AgentDriverOptions {
  /** The cluster its API reaches: the only one it answers for. */
  clusterName: string;
  api: AgentApi;
  /** The dead-man bound the Lease carries (whole seconds). */
  deadlineMs: number;
  comment?: string;
  /** How long an insert or delete waits for the agent to read it back. */
  applyTimeoutMs?: number;
  pollMs?: number;
  /** Told when a renewal fails (the agents lapse if none succeeds within the bound). */
  onRenewError?: (err: Error) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const why = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class AgentDriver implements FaultDriver {
  readonly name = 'agent';
  readonly #o: Required<Omit<AgentDriverOptions, 'onRenewError'>> & Pick<AgentDriverOptions, 'onRenewError'>;
  #writes: Promise<unknown> = Promise.resolve();
  #renewTimer: NodeJS.Timeout | undefined;
  #holder = `${hostname()}/${process.pid}`;
  lastRenewError: Error | undefined;

  constructor(o: AgentDriverOptions) {
    this.#o = { comment: CUT_COMMENT, applyTimeoutMs: 30_000, pollMs: 300, ...o };
  }

  get renewing(): boolean {
    return this.#renewTimer !== undefined;
  }

  async nodesOf(cluster: string): Promise<string[]> {
    if (cluster !== this.#o.clusterName) throw new AgentDriverError(`the agent driver acts on cluster ${this.#o.clusterName} only, not ${cluster}`);
    return [...new Set((await this.#o.api.agentPods()).map((p) => p.node))].sort();
  }

  /** The agent pod on the node; rejects when there is none that is ready. */
  async #agentOn(node: string): Promise<string> {
    const pods = (await this.#o.api.agentPods()).filter((p) => p.node === node);
    const ready = pods.find((p) => p.ready);
    if (!ready) throw new AgentDriverError(pods.length ? `the fault agent on ${node} (${pods[0]!.name}) is not ready` : `no fault agent runs on ${node}`);
    return ready.name;
  }

  /** GET from the node's agent, parsed; rejects unless the answer is JSON from that node's agent. */
  async #ask(node: string, path: string, timeoutMs: number): Promise<Record<string, unknown>> {
    const pod = await this.#agentOn(node);
    const text = await this.#o.api.proxyGet(pod, path, timeoutMs);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new AgentDriverError(`the fault agent on ${node} answered /${path} with something not JSON`);
    }
    const b = body as Record<string, unknown>;
    if (!b || typeof b !== 'object' || b.node !== node) throw new AgentDriverError(`/${path} of ${pod} did not come from the agent of ${node} (said ${JSON.stringify(b?.node)})`);
    return b;
  }

  async listRules(node: string): Promise<string[]> {
    const b = await this.#ask(node, 'rules', 15_000);
    if (!Array.isArray(b.lines) || !b.lines.every((l) => typeof l === 'string')) throw new AgentDriverError(`the fault agent on ${node} sent no rule listing`);
    return b.lines as string[];
  }

  async hasRule(node: string, rule: readonly string[]): Promise<boolean> {
    return listingHas(await this.listRules(node), rule);
  }

  async insertRule(node: string, rule: readonly string[]): Promise<void> {
    // The renewal first: an agent inserts only for a controller it sees alive.
    await this.#update((o) => withRule(o, node, rule, true), true);
    this.#startRenewing();
    await this.#until(node, rule, true);
  }

  async deleteRule(node: string, rule: readonly string[]): Promise<void> {
    const after = await this.#update((o) => withRule(o, node, rule, false));
    if (!hasAnyRule(after)) this.stopRenewing();
    await this.#until(node, rule, false);
  }

  async tcpProbe(node: string, target: { host: string; port: number }, timeoutMs: number): Promise<TcpProbeResult> {
    // The agents connect only to the address the Lease names.
    await this.#update((o) => (o.probe?.host === target.host && o.probe.port === target.port && o.probe.timeoutMs === timeoutMs ? o : { ...o, probe: { host: target.host, port: target.port, timeoutMs } }));
    const b = await this.#ask(node, 'probe', timeoutMs + 20_000);
    const t = b.target as { host?: unknown; port?: unknown } | undefined;
    if (typeof b.connected !== 'boolean' || typeof b.from !== 'string' || t?.host !== target.host || t?.port !== target.port) {
      throw new AgentDriverError(`the fault agent on ${node} gave no probe answer for ${target.host}:${target.port}`);
    }
    return { connected: b.connected, from: b.from };
  }

  async removeFiles(node: string): Promise<number> {
    throw new AgentDriverError(`the fault agent only holds network rules; it cannot remove files on ${node}`);
  }

  /** Waits until the node's agent lists the rule (or no longer does). */
  async #until(node: string, rule: readonly string[], present: boolean): Promise<void> {
    const end = Date.now() + this.#o.applyTimeoutMs;
    let last = '';
    for (;;) {
      try {
        if ((await this.hasRule(node, rule)) === present) return;
        last = present ? 'not in place yet' : 'still in place';
      } catch (err) {
        last = why(err);
      }
      if (Date.now() > end) throw new AgentDriverError(`the fault agent on ${node} did not ${present ? 'apply' : 'remove'} ${rule.join(' ')} within ${this.#o.applyTimeoutMs / 1000} s (${last})`);
      await sleep(this.#o.pollMs);
    }
  }

  /** Read-modify-write of the orders, one at a time in this process and by resourceVersion across processes. */
  #update(change: (o: Orders) => Orders, renew = false): Promise<Orders> {
    const run = async (): Promise<Orders> => {
      for (let attempt = 0; ; attempt++) {
        const doc = await this.#o.api.readLease();
        const now = parseOrders(doc?.orders, this.#o.comment);
        const next = change(now);
        const text = serializeOrders(next);
        if (doc && text === serializeOrders(now) && !renew) return next;
        try {
          await this.#o.api.writeLease(this.#doc(doc, text, renew || !doc));
          return next;
        } catch (err) {
          if (!(err instanceof LeaseConflict) || attempt >= 5) throw err;
        }
      }
    };
    const p = this.#writes.then(run, run);
    this.#writes = p.catch(() => undefined);
    return p;
  }

  #doc(prev: LeaseDoc | undefined, orders: string, renew: boolean): LeaseDoc {
    return {
      orders,
      renewTime: renew ? new Date() : prev?.renewTime,
      holder: renew ? this.#holder : prev?.holder,
      durationSeconds: Math.ceil(this.#o.deadlineMs / 1000),
      ...(prev?.resourceVersion ? { resourceVersion: prev.resourceVersion } : {}),
    };
  }

  /** Renews now (awaited), then every few seconds while rules are ordered; dies with this process. */
  async renew(): Promise<void> {
    await this.#update((o) => o, true);
  }

  #startRenewing(): void {
    if (this.#renewTimer) return;
    const tick = () =>
      this.renew().then(
        () => (this.lastRenewError = undefined),
        (err: unknown) => {
          this.lastRenewError = err instanceof Error ? err : new Error(String(err));
          this.#o.onRenewError?.(this.lastRenewError);
        },
      );
    this.#renewTimer = setInterval(tick, renewEveryMs(this.#o.deadlineMs));
    // Not what keeps a controller alive: a process with nothing else to do may end, and its cut with it.
    this.#renewTimer.unref();
  }

  stopRenewing(): void {
    if (this.#renewTimer) clearInterval(this.#renewTimer);
    this.#renewTimer = undefined;
  }
}

/** The orders with `rule` added to (or removed from) the node's list; unchanged when already so. */
export function withRule(o: Orders, node: string, rule: readonly string[], add: boolean): Orders {
  const list = o.rules[node] ?? [];
  const k = ruleKey(rule);
  const has = list.some((r) => ruleKey(r) === k);
  if (has === add) return o;
  const next = add ? [...list, [...rule]] : list.filter((r) => ruleKey(r) !== k);
  return { ...o, rules: { ...o.rules, [node]: next } };
}

