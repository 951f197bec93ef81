import type { FaultJournal } from '../faults/journal.ts';
import { CUT_COMMENT, type KafkaCutParams } from '../faults/kafka-network.ts';
import { applyFault, healEntry } from '../faults/runner.ts';
import type { HistoryWriter } from '../history/writer.ts';
import type { AbortableClock } from './clock.ts';
import { uninterruptible } from '../util/interrupt.ts';

export type KafkaCutTarget = Omit<KafkaCutParams, 'comment'>;

/**
 * The controller's only handle on the network: cut Kafka off, restore it, or make it flap between the
 * two. Every change is journaled before it happens and written to the history as invoke / ok|fail.
 */
export class KafkaFaultDriver {
  #activeId: string | undefined;
  #activeF = 'kafka-cut';
  #flapping: Promise<void> | undefined;
  #stopFlap = false;

  /**
   * `target` says what to cut, asked afresh at every cut: an in-cluster broker's pod may have been
   * recreated with another IP since the last one.
   */
  constructor(
    private readonly journal: FaultJournal,
    private readonly history: HistoryWriter,
    private readonly target: () => Promise<KafkaCutTarget>,
  ) {}

  async #cut(f: string): Promise<void> {
    if (this.#activeId) return;
    let params: KafkaCutTarget;
    try {
      params = await this.target();
    } catch (err) {
      // Nothing was applied; the history still pairs the attempt with its failure.
      this.history.append({ type: 'fault', source: 'controller', f, kind: 'invoke', op: 'inject' });
      this.history.append({ type: 'fault', source: 'controller', f, kind: 'fail', op: 'inject', error: (err as Error).message });
      throw err;
    }
    this.history.append({ type: 'fault', source: 'controller', f, kind: 'invoke', op: 'inject', details: { ...params } });
    try {
      this.#activeF = f;
      this.#activeId = await applyFault(this.journal, 'kafka-cut', { ...params, comment: CUT_COMMENT });
      this.history.append({ type: 'fault', source: 'controller', f, kind: 'ok', op: 'inject', journalId: this.#activeId });
    } catch (err) {
      this.history.append({ type: 'fault', source: 'controller', f, kind: 'fail', op: 'inject', error: (err as Error).message });
      throw err;
    }
  }

  async #heal(f: string): Promise<void> {
    const id = this.#activeId;
    if (!id) return;
    this.history.append({ type: 'fault', source: 'controller', f, kind: 'invoke', op: 'heal', journalId: id });
    try {
      await healEntry(this.journal, this.journal.get(id)!);
      this.#activeId = undefined;
      this.history.append({ type: 'fault', source: 'controller', f, kind: 'ok', op: 'heal', journalId: id });
    } catch (err) {
      this.history.append({ type: 'fault', source: 'controller', f, kind: 'info', op: 'heal', journalId: id, error: (err as Error).message });
      throw err;
    }
  }

  cut(): Promise<void> {
    return this.#cut('kafka-cut');
  }

  /** Kafka reachable for upMs, unreachable for downMs, until restore: the "flapping" of the secondary sources. */
  startFlapping(clock: AbortableClock, upMs: number, downMs: number): void {
    this.#stopFlap = false;
    // The loop ends by the clock or restore(), never half-way through a cut by the Ctrl-C signal.
    this.#flapping = uninterruptible(async () => {
      while (!this.#stopFlap && !clock.aborted) {
        await this.#cut('kafka-flap');
        await clock.sleep(downMs);
        if (this.#stopFlap || clock.aborted) break;
        await this.#heal('kafka-flap');
        await clock.sleep(upMs);
      }
    });
  }

  /** Restores the network for good: stops any flapping and heals what is in effect. */
  async restore(): Promise<void> {
    this.#stopFlap = true;
    await this.#flapping?.catch(() => {});
    this.#flapping = undefined;
    await this.#heal(this.#activeF);
  }

  get active(): boolean {
    return this.#activeId !== undefined;
  }
}
