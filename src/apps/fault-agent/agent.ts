// One node's fault agent: every poll it reads the Lease, decides (dead-man.ts) and acts on this node's
// filter table. Reads for the controller (`/rules`, `/probe`) are answered from what it reads at that
// moment, never from what it last did.
import { NO_ORDERS, OrdersError, parseOrders, planReconcile, serializeOrders, type Orders } from '../../faults/agent-protocol.ts';
import { labRulesIn } from '../../faults/kafka-network.ts';
import type { Logger } from '../lib/log.ts';
import { errorMessage } from '../lib/log.ts';
import { DeadMan, decide, type AgentAction, type LeaseState } from './dead-man.ts';
import type { Iptables } from './iptables.ts';
import type { ReadLease } from './lease-reader.ts';

export interface AgentDeps {
  node: string;
  comment: string;
  pollMs: number;
  deadlineMs: number;
  readLease: ReadLease;
  iptables: Pick<Iptables, 'list' | 'insert' | 'delete'>;
  /** Monotonic milliseconds. */
  now: () => number;
  log: Logger;
}

export class FaultAgent {
  readonly deadMan: DeadMan;
  #previous: LeaseState = 'starting';
  #sweepPending = false;
  #actedOn: string | undefined;
  #orders: Orders = NO_ORDERS;
  #ordersError: string | undefined;
  lastAction: AgentAction = 'idle';
  lastError: string | undefined;
  counts = { polls: 0, leaseReadErrors: 0, inserted: 0, removed: 0, sweeps: 0 };

  constructor(private readonly d: AgentDeps) {
    this.deadMan = new DeadMan(d.now(), d.pollMs, d.deadlineMs);
  }

  get state(): LeaseState {
    return this.deadMan.state(this.d.now());
  }

  get orders(): Orders {
    return this.#orders;
  }

  /** Reads the Lease into the dead-man's view and the orders; a failed read is no observation. */
  async refresh(): Promise<void> {
    try {
      const r = await this.d.readLease();
      this.deadMan.seen(r.view, this.d.now());
      try {
        this.#orders = r.view === 'gone' ? NO_ORDERS : parseOrders(r.ordersText, this.d.comment);
        this.#ordersError = undefined;
      } catch (err) {
        // Damaged orders order nothing: the node is brought to no rule rather than to a guess.
        this.#orders = NO_ORDERS;
        this.#ordersError = err instanceof OrdersError ? err.message : errorMessage(err);
      }
    } catch (err) {
      this.counts.leaseReadErrors++;
      this.lastError = `lease read: ${errorMessage(err)}`;
    }
  }

  /** One poll: read, decide, act. Never throws: a failed action is retried on the next poll. */
  async poll(): Promise<AgentAction> {
    this.counts.polls++;
    await this.refresh();
    const state = this.deadMan.state(this.d.now());
    const ordersText = serializeOrders(this.#orders);
    const step = decide({ state, previous: this.#previous, sweepPending: this.#sweepPending, ordersChanged: ordersText !== this.#actedOn });
    if (state !== this.#previous) this.d.log.info('lease state', { from: this.#previous, to: state, deadlineMs: this.deadMan.deadlineMs });
    this.#previous = state;
    this.#sweepPending = step.sweepPending;
    this.lastAction = step.action;
    try {
      if (step.action === 'sweep') {
        await this.sweep();
        this.#sweepPending = false;
        this.#actedOn = ordersText;
      } else if (step.action === 'reconcile' || step.action === 'remove-unordered') {
        await this.#reconcile(step.action === 'reconcile');
        this.#actedOn = ordersText;
      }
      if (this.#ordersError) this.lastError = `orders: ${this.#ordersError}`;
    } catch (err) {
      this.lastError = `${step.action}: ${errorMessage(err)}`;
      this.d.log.warn('action failed', { action: step.action, error: this.lastError });
    }
    return step.action;
  }

  async #reconcile(insert: boolean): Promise<void> {
    const plan = planReconcile(await this.d.iptables.list(), this.#orders.rules[this.d.node] ?? [], this.d.comment);
    for (const r of plan.remove) {
      await this.d.iptables.delete(r);
      this.counts.removed++;
      this.d.log.info('rule removed', { rule: r.join(' ') });
    }
    if (!insert) return;
    for (const r of plan.insert) {
      await this.d.iptables.insert(r);
      this.counts.inserted++;
      this.d.log.info('rule inserted', { rule: r.join(' ') });
    }
  }

  /** Removes every rule carrying the comment, copies included; resolves only when a listing shows none. */
  async sweep(): Promise<number> {
    let removed = 0;
    for (let round = 0; round < 5; round++) {
      const left = labRulesIn(await this.d.iptables.list(), this.d.comment);
      if (left.length === 0) {
        this.counts.sweeps++;
        if (removed) this.d.log.info('swept', { removed });
        return removed;
      }
      for (const r of left) {
        await this.d.iptables.delete(r);
        removed++;
        this.counts.removed++;
      }
    }
    throw new Error(`lab rules still listed after 5 rounds of removal`);
  }
}
