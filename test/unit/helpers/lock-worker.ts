// A contender for the controller lock, driven line by line over stdin by the lock stress test:
//   go <epoch ms> <run id>   wait for that instant, try the lock, print "<run id> WIN" or "<run id> HELD"
//   release                  release the lock this worker holds (prints "released")
//   hold-and-die <run id>    take the lock and die holding it (SIGKILL): a controller killed mid-run
//   churn <tries> <run id>   take and release the lock as fast as it goes; while holding it, own the file
//                            `inside` exclusively (a second holder at the same time cannot create it);
//                            prints "<run id> wins=N overlaps=M"
// LOCK_MODULE points at the module under test (default: the lab's), so the same test can be aimed at an
// older implementation.
import { createInterface } from 'node:readline';
import * as fs from 'node:fs';
import * as path from 'node:path';

const dir = process.env.LOCK_TEST_DIR!;
const mod = (await import(process.env.LOCK_MODULE ?? new URL('../../../src/controller/lock.ts', import.meta.url).href)) as {
  acquireLock: (dir: string, runId: string) => { release: () => void };
};
let held: { release: () => void } | undefined;

function waitUntil(at: number): void {
  const ms = at - Date.now() - 3;
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  while (Date.now() < at) {
    /* spin the last few ms so every contender starts within a scheduler tick */
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, a, b] = line.trim().split(' ');
  if (cmd === 'go') {
    waitUntil(Number(a));
    try {
      held = mod.acquireLock(dir, b!);
      process.stdout.write(`${b} WIN\n`);
    } catch (err) {
      const name = (err as Error).name;
      process.stdout.write(`${b} ${name === 'LockHeldError' ? 'HELD' : `ERR ${name}: ${(err as Error).message.replace(/\n/g, ' ')}`}\n`);
    }
  } else if (cmd === 'release') {
    held?.release();
    held = undefined;
    process.stdout.write('released\n');
  } else if (cmd === 'churn') {
    let wins = 0;
    let overlaps = 0;
    const inside = path.join(process.env.LOCK_TEST_MARK_DIR!, 'inside');
    for (let i = 0; i < Number(a); i++) {
      let lock: { release: () => void };
      try {
        lock = mod.acquireLock(dir, `${b}-${i}`);
      } catch (err) {
        if ((err as Error).name !== 'LockHeldError') throw err;
        continue;
      }
      wins++;
      try {
        fs.writeFileSync(inside, String(process.pid), { flag: 'wx' });
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.random() * 2);
        fs.rmSync(inside);
      } catch {
        overlaps++;
      }
      lock.release();
    }
    process.stdout.write(`${b} wins=${wins} overlaps=${overlaps}\n`);
  } else if (cmd === 'hold-and-die') {
    mod.acquireLock(dir, a!);
    process.kill(process.pid, 'SIGKILL');
  }
}
