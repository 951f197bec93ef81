// `lab heal` shows each damaged journal line as one warning line (no Docker needed: nothing to heal).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JOURNAL_FILE } from '../../src/faults/journal.ts';
import { repoRoot } from '../../src/util/paths.ts';

test('lab heal prints one warning line per damaged or torn journal line, then what it did', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outage-lab-heal-cmd-'));
  const ok = (id: string, state: string) => JSON.stringify({ id, fault: 'kafka-cut', state, at: '2026-01-01T00:00:00.000Z', pid: 1, host: 'h', runId: 'r', ...(state === 'applying' ? { params: {} } : {}) });
  fs.writeFileSync(path.join(dir, JOURNAL_FILE), `${ok('a', 'applying')}\nnot json at all\n${ok('a', 'healing')}\n${ok('a', 'healed')}\n{"id":"b","fault":"kafka-cut","sta`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'heal'], { cwd: repoRoot, env: { ...process.env, LAB_STATE_DIR: dir }, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const warnings = r.stderr.split('\n').filter((l) => l.startsWith('⚠ fault journal'));
  assert.equal(warnings.length, 2, r.stderr);
  assert.match(warnings[0]!, /line 2 is damaged; ignored/);
  assert.match(warnings[1]!, /last line 5 is incomplete/);
  assert.match(r.stderr, /Nothing to heal/);
});
