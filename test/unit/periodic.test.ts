import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemClock } from '../../src/apps/lib/clock.ts';
import { PeriodicLoop } from '../../src/apps/lib/periodic.ts';
import { VirtualClock } from './helpers/apps-fakes.ts';

const turns = async (n = 20): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

const noError = (e: unknown): void => assert.fail(`unexpected round error: ${String(e)}`);

/** Runs a loop whose rounds each take `roundMs` of virtual time until it has run `rounds`; returns their start times. */
async function startTimes(clock: VirtualClock, opts: { anchored?: boolean; waitFirst?: boolean }, roundMs: number, rounds: number): Promise<number[]> {
  const at: number[] = [];
  const loop = new PeriodicLoop(clock, { everyMs: 1_000, onError: noError, ...opts }, async () => {
    at.push(clock.now());
    clock.t += roundMs;
  });
  loop.start();
  for (let i = 0; i < 50 && at.length < rounds; i++) await turns(1);
  await loop.stop();
  return at.slice(0, rounds);
}

describe('periodic loop', () => {
  it('runs a round at start, then pauses a period after each round ends', async () => {
    assert.deepEqual(await startTimes(new VirtualClock(0), {}, 300, 3), [0, 1_300, 2_600]);
  });

  it('anchored: rounds start on the grid whatever they last, and one longer than the period is followed at once', async () => {
    assert.deepEqual(await startTimes(new VirtualClock(0), { anchored: true }, 300, 3), [0, 1_000, 2_000]);
    assert.deepEqual(await startTimes(new VirtualClock(0), { anchored: true }, 1_500, 3), [0, 1_500, 3_000]);
  });

  it('waitFirst: the first round comes one period after start', async () => {
    assert.deepEqual(await startTimes(new VirtualClock(0), { waitFirst: true }, 0, 2), [1_000, 2_000]);
  });

  it('a failing round is reported and the next one still comes', async () => {
    const clock = new VirtualClock(0);
    const errors: unknown[] = [];
    let rounds = 0;
    const loop = new PeriodicLoop(clock, { everyMs: 1_000, onError: (e) => errors.push(e) }, async () => {
      if (++rounds <= 2) throw new Error(`round ${rounds}`);
    });
    loop.start();
    for (let i = 0; i < 50 && rounds < 4; i++) await turns(1);
    await loop.stop();
    assert.ok(rounds >= 4, `ran ${rounds} rounds`);
    assert.deepEqual(errors.map((e) => (e as Error).message), ['round 1', 'round 2']);
  });

  it('stop() waits for the round under way, and no round starts after it', async () => {
    const clock = new VirtualClock(0);
    let rounds = 0;
    let finish!: () => void;
    const loop = new PeriodicLoop(clock, { everyMs: 1_000, onError: noError }, () => {
      rounds++;
      return new Promise<void>((r) => (finish = r));
    });
    loop.start();
    await turns();
    assert.equal(rounds, 1);
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await turns();
    assert.equal(stopped, false, 'stop() returned while a round was still running');
    finish();
    await stopping;
    await turns();
    assert.equal(rounds, 1);
  });

  it('stop() cuts the pause short instead of waiting out the period', async () => {
    let rounds = 0;
    const loop = new PeriodicLoop(systemClock, { everyMs: 60_000, onError: noError }, async () => {
      rounds++;
    });
    loop.start();
    await turns();
    const t0 = Date.now();
    await loop.stop();
    assert.ok(Date.now() - t0 < 1_000, 'stop() waited for the period');
    assert.equal(rounds, 1);
  });

  it('a second start() does not start a second loop', async () => {
    let rounds = 0;
    const loop = new PeriodicLoop(new VirtualClock(0), { everyMs: 1_000, onError: noError }, async () => {
      rounds++;
    });
    loop.start();
    loop.start();
    await loop.stop();
    assert.equal(rounds, 1);
  });
});
