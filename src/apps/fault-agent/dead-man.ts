// The dead-man switch's decision, apart from any I/O. A controller is alive while the agent sees the
// Lease's renewTime change; the silence is timed on the agent's own monotonic clock from the moment it
// saw the last change (as leaseDurationSeconds is defined: "measured against the time of last observed
// renewTime"), so no clock of the controller's or the API server's enters it and a skewed clock cannot
// stretch the bound.

import { silenceLimitMs } from '../../faults/agent-protocol.ts';

export type LeaseState = 'starting' | 'live' | 'lapsed';

/** What one read of the Lease gave: its renewal and duration, or that there is no Lease. */
export type LeaseView = { renewTime: string | undefined; durationMs: number | undefined } | 'gone';

export class DeadMan {
  #renew: string | undefined;
  #seenFirst = false;
  #changedAt: number | undefined;
  #durationMs: number;
  #gone = false;

  constructor(
    private readonly startedAt: number,
    private readonly pollMs: number,
    defaultDeadlineMs: number,
  ) {
    this.#durationMs = defaultDeadlineMs;
  }

  /** A successful read. The first one is only a baseline: a renewTime seen once proves nothing about now. */
  seen(view: LeaseView, now: number): void {
    if (view === 'gone') {
      this.#gone = true;
      this.#changedAt = undefined;
      this.#renew = undefined;
      this.#seenFirst = true;
      return;
    }
    if (view.durationMs !== undefined && view.durationMs > 0) this.#durationMs = view.durationMs;
    if (this.#seenFirst && view.renewTime !== undefined && view.renewTime !== this.#renew) {
      this.#changedAt = now;
      this.#gone = false;
    }
    this.#renew = view.renewTime;
    this.#seenFirst = true;
  }

  get deadlineMs(): number {
    return this.#durationMs;
  }

  state(now: number): LeaseState {
    if (this.#gone) return 'lapsed';
    const limit = silenceLimitMs(this.#durationMs, this.pollMs);
    if (this.#changedAt !== undefined) return now - this.#changedAt <= limit ? 'live' : 'lapsed';
    // Never seen alive since start: neither add nor remove until either a renewal or the limit.
    return now - this.startedAt <= limit ? 'starting' : 'lapsed';
  }
}

export type AgentAction = 'reconcile' | 'sweep' | 'remove-unordered' | 'idle';

export interface StepInput {
  state: LeaseState;
  previous: LeaseState;
  /** A sweep that has not yet succeeded (it is retried every poll until it does). */
  sweepPending: boolean;
  /** The orders differ from those last acted on. */
  ordersChanged: boolean;
}

/**
 * One poll's action. Live: make the node match the orders. On entering `lapsed`: remove every lab rule,
 * once (retried until it succeeds), and then leave the node alone, so an agent left running never fights
 * a cut applied another way. Not live but the orders changed (a heal from another process): removals
 * only; inserting needs a live controller behind the orders.
 */
export function decide(i: StepInput): { action: AgentAction; sweepPending: boolean } {
  if (i.state === 'live') return { action: 'reconcile', sweepPending: false };
  const sweepPending = i.sweepPending || (i.state === 'lapsed' && i.previous !== 'lapsed');
  if (sweepPending) return { action: 'sweep', sweepPending };
  if (i.ordersChanged) return { action: 'remove-unordered', sweepPending };
  return { action: 'idle', sweepPending };
}
