// What the controller (drivers/agent.ts) and the fault agent (src/apps/fault-agent) agree on: where the
// orders are, their shape, and how a rule read back from `iptables -S` is matched to a rule ordered. Pure,
// and bundled into the agent, so both sides read the same words the same way.
//
// The orders ride on the Lease itself, as an annotation, rather than in a ConfigMap beside it: one read
// gives the agent the orders and the renewal in one snapshot (one resourceVersion), so it can never act on
// orders without knowing whether the controller behind them is alive; and removing the Lease removes the
// orders with it.
import { labRulesIn, splitRuleLine } from './kafka-network.ts';

export const AGENT_NAMESPACE = 'lab';
export const AGENT_NAME = 'fault-agent';
/** The Lease the controller renews and the agents watch; also the DaemonSet's and its pods' `app` label. */
export const AGENT_LEASE = 'fault-agent';
/** Host network: the agent's HTTP port is bound on each node's own address. */
export const AGENT_PORT = 19104;
export const ORDERS_ANNOTATION = 'outage-lab/fault-orders';
/** The agent polls the Lease this often; the lapse bound below counts it twice. */
export const AGENT_POLL_MS = 1000;
export const DEFAULT_AGENT_DEADLINE_MS = 15_000;

/**
 * How long the agent waits without seeing a renewal before it removes everything, so that the rules are
 * gone within `deadlineMs` of the controller's last renewal: the change is seen up to one poll late, the
 * lapse is noticed up to one poll late, a read may take one more poll, and the removal itself gets 1 s.
 */
export function silenceLimitMs(deadlineMs: number, pollMs: number): number {
  return Math.max(pollMs, deadlineMs - 3 * pollMs - 1000);
}

/** How often the controller renews for a deadline: several renewals fit in one silence limit. */
export function renewEveryMs(deadlineMs: number): number {
  return Math.min(5000, Math.max(1000, Math.floor(deadlineMs / 5)));
}

export interface ProbeOrder {
  host: string;
  port: number;
  timeoutMs: number;
}

export interface Orders {
  /** Desired lab rules per node (each as the arguments after -I/-D, chain first). */
  rules: Record<string, string[][]>;
  /** The one address the agents may open a TCP connection to when asked (`GET /probe`): never any other. */
  probe?: ProbeOrder;
}

export const NO_ORDERS: Orders = { rules: {} };

export class OrdersError extends Error {
  override name = 'OrdersError';
}

const IPV4 = /^(\d{1,3})(\.\d{1,3}){3}$/;
const CHAINS = new Set(['FORWARD', 'OUTPUT']);

/**
 * A rule the agent will insert: in FORWARD or OUTPUT, dropping, and carrying the lab's comment. A rule
 * without the comment is refused: the dead-man switch finds the rules it removes by that comment, so a
 * rule it could not find is a rule it could not remove.
 */
export function checkRule(rule: unknown, comment: string): string[] {
  if (!Array.isArray(rule) || rule.length < 3 || !rule.every((a) => typeof a === 'string' && a !== '' && !a.includes('\n'))) throw new OrdersError(`rule ${JSON.stringify(rule)} is not a list of arguments`);
  const r = rule as string[];
  if (!CHAINS.has(r[0]!)) throw new OrdersError(`rule ${r.join(' ')}: chain must be FORWARD or OUTPUT`);
  if (!r.some((a, i) => a === comment && r[i - 1] === '--comment')) throw new OrdersError(`rule ${r.join(' ')}: lacks --comment ${comment}`);
  if (r[r.length - 2] !== '-j' || r[r.length - 1] !== 'DROP') throw new OrdersError(`rule ${r.join(' ')}: must end -j DROP`);
  return r;
}

/** The orders annotation; absent is "no orders". Throws OrdersError on anything damaged: never a guess. */
export function parseOrders(text: string | undefined, comment: string): Orders {
  if (text === undefined || text === '') return { rules: {} };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new OrdersError('the orders annotation is not JSON');
  }
  const o = raw as Partial<Orders>;
  if (!o || typeof o !== 'object' || !o.rules || typeof o.rules !== 'object' || Array.isArray(o.rules)) throw new OrdersError('the orders have no rules map');
  const rules: Record<string, string[][]> = {};
  for (const [node, list] of Object.entries(o.rules)) {
    if (!Array.isArray(list)) throw new OrdersError(`the rules of ${node} are not a list`);
    rules[node] = list.map((r) => checkRule(r, comment));
  }
  if (o.probe === undefined) return { rules };
  const p = o.probe as Partial<ProbeOrder>;
  if (!IPV4.test(String(p.host)) || !Number.isInteger(p.port) || p.port! < 1 || p.port! > 65535 || !Number.isInteger(p.timeoutMs) || p.timeoutMs! < 100 || p.timeoutMs! > 60_000) {
    throw new OrdersError(`the probe order ${JSON.stringify(o.probe)} is not an IPv4 address, a TCP port and a timeout`);
  }
  return { rules, probe: { host: p.host!, port: p.port!, timeoutMs: p.timeoutMs! } };
}

/** Canonical text: the same orders always serialize the same, so "changed" is a string comparison. */
export function serializeOrders(o: Orders): string {
  const rules: Record<string, string[][]> = {};
  for (const node of Object.keys(o.rules).sort()) if (o.rules[node]!.length) rules[node] = o.rules[node]!;
  return JSON.stringify(o.probe ? { rules, probe: { host: o.probe.host, port: o.probe.port, timeoutMs: o.probe.timeoutMs } } : { rules });
}

export function hasAnyRule(o: Orders): boolean {
  return Object.values(o.rules).some((l) => l.length > 0);
}

/**
 * A rule's identity, as `iptables -S` prints it or as it was ordered: `-S` adds the implicit match of
 * `-p tcp` (`-m tcp`) before a port option, which the ordered rule leaves out. Everything else of the
 * lab's rules is printed in the order given (address with its /32, `!` before the option it negates).
 */
export function ruleKey(args: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-m' && (args[i + 1] === 'tcp' || args[i + 1] === 'udp') && args[i - 2] === '-p' && args[i - 1] === args[i + 1]) {
      i++;
      continue;
    }
    out.push(a);
  }
  return out.join('\u0000');
}

/** Whether an `iptables -S` listing holds this rule (as ordered). */
export function listingHas(lines: readonly string[], rule: readonly string[]): boolean {
  const want = ruleKey(rule);
  return lines.some((l) => {
    const a = splitRuleLine(l);
    return a[0] === '-A' && ruleKey(a.slice(1)) === want;
  });
}

export interface ReconcilePlan {
  /** Lab rules to delete (each as `-D` arguments): not ordered, or a second copy of one that is. */
  remove: string[][];
  /** Ordered rules missing from the listing, to insert. */
  insert: string[][];
}

/** Desired vs actual on one node. Only rules carrying the comment are ever touched. */
export function planReconcile(lines: readonly string[], desired: readonly string[][], comment: string): ReconcilePlan {
  const want = new Map(desired.map((r) => [ruleKey(r), r] as const));
  const kept = new Set<string>();
  const remove: string[][] = [];
  for (const have of labRulesIn(lines, comment)) {
    const k = ruleKey(have);
    if (want.has(k) && !kept.has(k)) kept.add(k);
    else remove.push(have);
  }
  return { remove, insert: [...want].filter(([k]) => !kept.has(k)).map(([, r]) => [...r]) };
}
