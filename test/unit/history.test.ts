import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HistoryWriter, HistoryError } from '../../src/history/writer.ts';
import { readHistory, parseHistoryText, iterateHistory } from '../../src/history/reader.ts';
import { ofType, RECORD_TYPES, type RecordInput } from '../../src/history/records.ts';
import { Secret, registerSecret } from '../../src/secrets/secret.ts';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'outage-lab-history-'));
}

const T0 = Date.UTC(2026, 10, 26, 3, 10, 0, 0);

test('writer stamps ts and seq, orders by call, and flushes on close', async () => {
  const file = path.join(tmp(), 'run', 'history.jsonl');
  let now = T0;
  const w = HistoryWriter.open(file, { now: () => now });
  const a = w.append({ type: 'phase', source: 'controller', name: 'baseline', edge: 'start' });
  now += 5;
  const b = w.append({ type: 'node', source: 'watch/nodes', name: 'kind-worker', ready: false, conditions: [], taints: [], unschedulable: false });
  const c = w.append({ type: 'note', source: 'test', text: 'k8s times have seconds only', ts: '2026-11-26T03:09:59Z' });
  assert.equal(a.ts, '2026-11-26T03:10:00.000Z');
  assert.equal(b.ts, '2026-11-26T03:10:00.005Z');
  assert.equal(c.ts, '2026-11-26T03:09:59.000Z');
  assert.deepEqual([a.seq, b.seq, c.seq], [1, 2, 3]);
  assert.equal(w.count, 3);
  w.close();
  const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 3);
  assert.deepEqual(Object.keys(JSON.parse(lines[0]!)).slice(0, 4), ['type', 'ts', 'seq', 'source']);
  const { records, warnings } = await readHistory(file);
  // c was observed earlier than it was written: the reader puts it first.
  assert.deepEqual(records.map((r) => r.seq), [3, 1, 2]);
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.kind, 'out-of-order');
  assert.throws(() => w.append({ type: 'note', source: 'x', text: 'late' }), HistoryError);
});

test('writer flushes within the flush period without close', async () => {
  const file = path.join(tmp(), 'history.jsonl');
  const w = HistoryWriter.open(file, { flushEveryMs: 50 });
  w.append({ type: 'note', source: 'test', text: 'hello' });
  assert.equal(fs.readFileSync(file, 'utf8'), '', 'buffered, not yet written');
  await new Promise((r) => setTimeout(r, 150));
  assert.match(fs.readFileSync(file, 'utf8'), /"hello"/);
  w.close();
});

test('writer flushes when the buffer is full, and flushSync writes everything', () => {
  const file = path.join(tmp(), 'history.jsonl');
  const w = HistoryWriter.open(file, { flushEveryMs: 60_000, maxBufferBytes: 1024 });
  for (let i = 0; i < 50; i++) w.append({ type: 'cpu', source: 'sampler/cpu', scope: 'runtime', node: 'kind-worker', cores: i / 10 });
  const partial = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
  assert.ok(partial > 0 && partial < 50, `expected a size-triggered flush, got ${partial}`);
  w.flushSync();
  assert.equal(fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length, 50);
  w.close();
});

test('writer refuses Secrets and malformed records, and redacts registered values as a last guard', async () => {
  const file = path.join(tmp(), 'history.jsonl');
  const w = HistoryWriter.open(file);
  const token = new Secret('hvs.CAESIJ-lab-root-token-xyz');
  assert.throws(
    () => w.append({ type: 'note', source: 'test', text: 'x', ...({ token } as object) } as RecordInput),
    /contains a Secret/,
  );
  assert.throws(() => w.append({ type: 'fault', source: 'c', f: 'gossip-encryption', kind: 'invoke', details: { key: token } }), HistoryError);
  assert.throws(() => w.append({ type: 'nope', source: 'x' } as unknown as RecordInput), /known type/);
  assert.throws(() => w.append({ type: 'note', source: '', text: 'x' }), /source/);
  assert.throws(() => w.append({ type: 'note', source: 's', text: 'x', ts: 'yesterday' }), /invalid ts/);
  // A value that slipped in as plain text (e.g. a child process's log line) is still redacted.
  const gossipKey = 'pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=';
  registerSecret(gossipKey);
  w.append({ type: 'note', source: 'consul-log', text: `keyring installed ${gossipKey}` });
  w.append({ type: 'note', source: 'template', text: `token is ${token}` });
  w.close();
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(!text.includes(gossipKey));
  assert.ok(!text.includes(token.reveal()));
  assert.equal(w.count, 2, 'refused records are not counted');
  const { records } = await readHistory(file);
  assert.deepEqual(records.map((r) => r.seq), [1, 2], 'refusals do not burn seq numbers');
});

test('reader tolerates a torn last line from a crash and reopening continues seq', async () => {
  const dir = tmp();
  const file = path.join(dir, 'history.jsonl');
  const w = HistoryWriter.open(file);
  for (let i = 0; i < 3; i++) w.append({ type: 'note', source: 'test', text: `n${i}`, ts: new Date(T0 + i).toISOString() });
  w.close();
  // Simulate a SIGKILL mid-write.
  fs.appendFileSync(file, '{"type":"pod","ts":"2026-11-26T03:10:01.000Z","seq":4,"source":"watch/po');
  const first = await readHistory(file);
  assert.equal(first.records.length, 3);
  assert.equal(first.warnings.length, 1);
  assert.equal(first.warnings[0]!.kind, 'truncated-last-line');
  assert.equal(first.warnings[0]!.line, 4);

  const w2 = HistoryWriter.open(file);
  const r = w2.append({ type: 'gap', source: 'recorder', from: new Date(T0 + 1000).toISOString(), reason: 'recorder-restart' });
  assert.equal(r.seq, 4, 'continues after the last intact seq');
  w2.close();
  const streamed: number[] = [];
  for await (const rec of iterateHistory(file)) streamed.push(rec.seq);
  assert.deepEqual(streamed, [1, 2, 3, 4], 'file order, torn line skipped');
  const second = await readHistory(file);
  assert.equal(second.records.length, 4);
  assert.deepEqual(second.warnings.map((x) => x.kind), ['bad-line'], 'the torn line is now damage in the middle');
  assert.equal(second.records.at(-1)!.type, 'gap');
});

test('reader sorts stably by ts then seq and reports what it skipped', () => {
  const lines = [
    { type: 'note', ts: '2026-11-26T03:10:02.000Z', seq: 1, source: 'a', text: 'late sampler' },
    { type: 'note', ts: '2026-11-26T03:10:01.000Z', seq: 2, source: 'b', text: 'x' },
    { type: 'note', ts: '2026-11-26T03:10:01.000Z', seq: 3, source: 'c', text: 'y' },
    { type: 'future-thing', ts: '2026-11-26T03:10:00.500Z', seq: 4, source: 'd' },
    { type: 'note', ts: 'garbage', seq: 5, source: 'e', text: 'z' },
    { type: 'note', ts: '2026-11-26T03:10:00.000Z', seq: 6, source: 'f', text: 'w' },
  ].map((l) => JSON.stringify(l));
  const text = [lines[0], lines[1], 'not json', lines[2], lines[3], lines[4], '', lines[5]].join('\n') + '\n';
  const res = parseHistoryText(text);
  assert.deepEqual(res.records.map((r) => r.seq), [6, 4, 2, 3, 1]);
  const kinds = res.warnings.map((w) => w.kind).sort();
  assert.deepEqual(kinds, ['bad-line', 'bad-ts', 'out-of-order', 'unknown-type']);
  assert.equal(res.outOfOrder, 4);
  assert.equal(res.skippedLines, 2);
  const strict = parseHistoryText(text, { keepUnknownTypes: false });
  assert.deepEqual(strict.records.map((r) => r.seq), [6, 2, 3, 1]);
  // Narrowing helper for analysis code.
  const notes = res.records.filter(ofType('note'));
  assert.equal(notes.length, 4);
  assert.ok(RECORD_TYPES.includes('consul-members'));
});

test('exit hook flushes a writer that was never closed', async () => {
  const file = path.join(tmp(), 'history.jsonl');
  const { execFileSync } = await import('node:child_process');
  const writerUrl = new URL('../../src/history/writer.ts', import.meta.url).href;
  const script = `
    import { HistoryWriter } from ${JSON.stringify(writerUrl)};
    const w = HistoryWriter.open(${JSON.stringify(file)}, { flushEveryMs: 60000 });
    for (let i = 0; i < 10; i++) w.append({ type: 'note', source: 'child', text: 'n' + i });
    process.exit(3);
  `;
  try {
    execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'pipe' });
  } catch (e) {
    assert.equal((e as { status: number }).status, 3);
  }
  const { records } = await readHistory(file);
  assert.equal(records.length, 10);
});
