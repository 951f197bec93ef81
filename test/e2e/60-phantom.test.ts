// `lab phantom` end to end on real Consul: a pool of a few dozen agents churned to size (plain and
// encrypted), measured, written per cell, resumed without rerunning, reported; and the 2018 versions
// refused with the reason while their images cannot be built. Needs the lab's consul image, no cluster.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, after } from 'node:test';
import { capture } from '../../src/util/exec.ts';
import type { CellResult } from '../../src/phantom/cell.ts';
import { lab } from './helpers.ts';

describe('lab phantom', { timeout: 15 * 60_000 }, () => {
  const runs = mkdtempSync(join(tmpdir(), 'lab-phantom-'));
  const env = { LAB_RUNS_DIR: runs };
  const args = ['phantom', '--id', 'e2e', '--sizes', '24', '--versions', '1.8.7', '--encryption', 'off,on', '--repeat', '1', '--hold', '20', '--kv', '30', '--batch', '10'];
  const results = () => readFileSync(join(runs, 'phantom-e2e', 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CellResult);

  after(async () => {
    // Leave nothing behind even when an assertion failed half-way.
    const ids = (await capture('docker', ['ps', '-aq', '--filter', 'label=outage-lab.scope=phantom'])).split('\n').filter(Boolean);
    if (ids.length) await capture('docker', ['rm', '-f', ...ids]);
  });

  it('builds, holds and measures a plain and an encrypted pool of 24 agents', async () => {
    const r = await lab(args, { env, timeoutMs: 12 * 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const cells = results();
    assert.deepEqual(cells.map((c) => c.key).sort(), ['1.8.7/encrypted/24/r1', '1.8.7/plain/24/r1']);
    for (const c of cells) {
      // 4 live + 20 phantoms asked; servers (3) and the probe agent are members too.
      assert.equal(c.params.live, 4);
      assert.equal(c.params.phantoms, 20);
      assert.ok(c.pool.atHold.failed >= 20, `${c.key}: ${c.pool.atHold.failed} failed at hold, want the 20 phantoms`);
      assert.equal(c.pool.atHold.alive, 3 + 1 + 4, `${c.key}: alive members at hold`);
      assert.equal(c.kv.n, 30);
      assert.equal(c.kv.errors, 0);
      assert.ok(c.kv.p99Ms! >= c.kv.p50Ms!);
      assert.ok(c.detectMs !== null && c.detectMs > 0, `${c.key}: a killed agent was detected`);
      assert.ok(c.joinMs !== null && c.joinMs > 0, `${c.key}: a new agent joined`);
      assert.ok(c.agents.processes >= 4 && c.agents.rssMiB! > 5, `${c.key}: agent processes measured`);
      assert.ok(c.telemetry.server['memberlist.gossip'], `${c.key}: the servers' gossip telemetry was read`);
    }
    const summary = JSON.parse(readFileSync(join(runs, 'phantom-e2e', 'summary.json'), 'utf8')) as { cells: number };
    assert.equal(summary.cells, 2);
    assert.match(readFileSync(join(runs, 'phantom-e2e', 'report.html'), 'utf8'), /<svg/);
    assert.equal(await capture('docker', ['ps', '-aq', '--filter', 'label=outage-lab.scope=phantom']), '', 'no pool container left');
    assert.equal(await capture('docker', ['network', 'ls', '-q', '--filter', 'name=outage-lab-phantom']), '', 'the phantom network removed');
  });

  it('resumes: a rerun with the same id runs no cell again', async () => {
    const r = await lab(args, { env, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /2 cells, 2 done, 0 to run/);
    assert.equal(results().length, 2);
  });

  it('refuses Consul 1.2.2 in one line naming the blocked module', async () => {
    const r = await lab(['phantom', '--id', 'e2e-old', '--versions', '1.2.2', '--sizes', '24'], { env, timeoutMs: 60_000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--versions 1\.2\.2: Consul 1\.2\.2 has no lab image: its exact memberlist revision is refused by the Go module proxy/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
});
