import type { FaultContext } from '../faults/driver.ts';
import type { FaultJournal } from '../faults/journal.ts';
import { CUT_COMMENT, type KafkaCutParams } from '../faults/kafka-network.ts';
import { labFaultContext } from '../faults/context.ts';
import { applyFault, healEntry } from '../faults/runner.ts';
import type { HistoryWriter } from '../history/writer.ts';
import { LabError } from '../util/errors.ts';
import type { AbortableClock } from './clock.ts';

export type KafkaCutTarget = Omit<KafkaCutParams, 'comment'>;

/** A sleep that ends early when any of the signals fires; leaves no timer behind. */
function sleepUnless(ms: number, signals: AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signals.some((s) => s.aborted)) return resolve();
    const done = () => {
      clearTimeout(timer);
      for (const s of signals) s.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const s of signals) s.addEventListener('abort', done, { once: true });
  });
}

/**
 * The controller's only handle on the network: cut Kafka off, restore it, or make it flap between the
 * two. Every change is journaled before it happens and written to the history as invoke / ok|fail; a
 * heal's `ok` is written only once the heal is verified (no rule left, TCP from the nodes opens).
 *
 * Contract with the replay: `restore()` resolves only when the network is verifiably back; it rejects
 * when it is not, and when flapping failed (after healing), so a failure is never lost in a background
 * loop. A flap that fails aborts the run's clock at once, so the replay reaches its `finally`.
 */
export class KafkaFaultDriver {
  #activeId: string | undefined;
  #activeF = 'kafka-cut';
  #flap: { stop: AbortController; loop: Promise<void> } | undefined;
  #flapError: Error | undefined;

  /**
   * `target` says what to cut, asked afresh at every cut: an in-cluster broker's pod may have been
   * recreated with another IP since the last one. `ctx` is how faults reach the nodes (tests give a fake).
   */
  constructor(
    private readonly journal: FaultJournal,
    private readonly history: HistoryWriter,
    private readonly target: () => Promise<KafkaCutTarget>,
    private readonly ctx: FaultContext = labFaultContext(),
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
      this.#activeId = await applyFault(this.journal, 'kafka-cut', { ...params, comment: CUT_COMMENT }, this.ctx);
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
      this.journal.reload();
      await healEntry(this.journal, this.journal.get(id)!, this.ctx);
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

  /**
   * Kafka unreachable for downMs, reachable for upMs, until restore: the "flapping" of the secondary
   * sources. Runs in the background; its promise is always observed: a failure stops the flapping, is
   * written to the history, aborts `clock` (the run) and is rethrown by `restore()`.
   */
  startFlapping(clock: AbortableClock, upMs: number, downMs: number): void {
    if (this.#flap) throw new Error('Kafka is already flapping');
    const stop = new AbortController();
    const signals = [stop.signal, clock.signal];
    const stopped = () => signals.some((s) => s.aborted);
    const loop = async () => {
      while (!stopped()) {
        await this.#cut('kafka-flap');
        await sleepUnless(downMs, signals);
        if (stopped()) break;
        await this.#heal('kafka-flap');
        await sleepUnless(upMs, signals);
      }
    };
    this.#flapError = undefined;
    this.#flap = {
      stop,
      loop: loop().catch((err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        this.#flapError = e;
        this.history.append({ type: 'fault', source: 'controller', f: 'kafka-flap', kind: 'fail', op: 'flap', error: `flapping stopped: ${e.message}` });
        clock.abort(`Kafka flapping failed: ${e.message}`);
      }),
    };
  }

  /**
   * Restores the network for good: interrupts the flap at once (no waiting out a down period), lets an
   * operation in progress finish, then heals and verifies what is in effect. Rejects when the heal is not
   * verified, or when the flapping had failed.
   */
  async restore(): Promise<void> {
    const flap = this.#flap;
    if (flap) {
      flap.stop.abort();
      await flap.loop; // never rejects: its failure is in #flapError
      this.#flap = undefined;
    }
    const flapError = this.#flapError;
    this.#flapError = undefined;
    try {
      await this.#heal(this.#activeF);
    } catch (err) {
      if (!flapError) throw err;
      throw new LabError(`Kafka flapping failed (${flapError.message}), then the heal failed: ${(err as Error).message}`, 'run `npx lab heal`; `npx lab down` removes the whole lab');
    }
    if (flapError) throw new LabError(`Kafka flapping failed: ${flapError.message}`, 'the network was healed and verified; see the run history for the failed step');
  }

  get active(): boolean {
    return this.#activeId !== undefined;
  }
}
