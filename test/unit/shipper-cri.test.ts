import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { LogRecord } from '../../src/apps/pipeline/record.ts';
import { parseCriLine, PartialJoiner } from '../../src/apps/shipper/cri.ts';
import { parseDockerJsonLine } from '../../src/apps/shipper/docker-json.ts';
import { FileTail, type TailOptions } from '../../src/apps/shipper/file-tail.ts';
import { parsePodDir, sortLogFiles } from '../../src/apps/shipper/log-files.ts';
import type { Cursor } from '../../src/apps/shipper/positions.ts';
import { newSourceStats, type Emitter } from '../../src/apps/shipper/source.ts';
import { quietLog } from './helpers/apps-fakes.ts';

describe('CRI line parsing', () => {
  it('parses full and partial records of both streams', () => {
    assert.deepEqual(parseCriLine('2024-05-01T10:00:00.123456789Z stdout F {"seq":1}'), {
      time: '2024-05-01T10:00:00.123456789Z',
      stream: 'stdout',
      partial: false,
      content: '{"seq":1}',
    });
    assert.deepEqual(parseCriLine('2024-05-01T10:00:00Z stderr P part one '), { time: '2024-05-01T10:00:00Z', stream: 'stderr', partial: true, content: 'part one ' });
  });

  it('keeps spaces inside the message and accepts an empty message', () => {
    assert.equal(parseCriLine('t stdout F  a  b ')!.content, ' a  b ');
    assert.equal(parseCriLine('t stdout F ')!.content, '');
    assert.equal(parseCriLine('t stdout F')!.content, '');
  });

  it('reads the first of several tags', () => {
    assert.equal(parseCriLine('t stdout P:x msg')!.partial, true);
  });

  it('rejects lines that are not CRI', () => {
    for (const bad of ['', 'hello', 't stdin F x', 't stdout X x', '{"log":"docker json"}']) assert.equal(parseCriLine(bad), null, bad);
  });
});

describe('partial line joining', () => {
  it('joins P records up to the F record, per stream', () => {
    const j = new PartialJoiner();
    const p = (s: string) => j.push(parseCriLine(s)!);
    assert.equal(p('t1 stdout P aaa'), null);
    assert.equal(p('t1 stderr P xx'), null);
    assert.equal(p('t2 stdout P bbb'), null);
    assert.deepEqual(p('t3 stdout F ccc'), { content: 'aaabbbccc', time: 't3' });
    assert.deepEqual(p('t4 stderr F y'), { content: 'xxy', time: 't4' });
    assert.deepEqual(p('t5 stdout F single'), { content: 'single', time: 't5' });
    assert.equal(j.joined, 2);
  });

  it('cuts a runaway partial line at the limit', () => {
    const j = new PartialJoiner(10);
    assert.equal(j.push(parseCriLine('t stdout P 123456')!), null);
    assert.deepEqual(j.push(parseCriLine('t stdout P 789012')!), { content: '123456789012', time: 't' });
    assert.equal(j.truncated, 1);
  });
});

describe('log file names', () => {
  it('orders restarts, rotated files and the live file; skips compressed ones', () => {
    const names = ['1.log', '0.log', '0.log.20240501-101500', '0.log.20240501-100000.gz', '0.log.20240501-100000', 'junk', '1.log.20240501-120000'];
    assert.deepEqual(
      sortLogFiles(names.map((name) => ({ name }))).map((f) => f.name),
      ['0.log.20240501-100000', '0.log.20240501-101500', '0.log', '1.log.20240501-120000', '1.log'],
    );
  });

  it('splits pod directory names', () => {
    assert.deepEqual(parsePodDir('dev_app-7d9f_0b1c-22'), { namespace: 'dev', pod: 'app-7d9f', uid: '0b1c-22' });
    assert.equal(parsePodDir('no-underscores'), null);
  });
});

// --- tailing real files in a temp dir ---

class Collector implements Emitter {
  records: LogRecord[] = [];
  full = false;
  offer(r: LogRecord): boolean {
    if (this.full) return false;
    this.records.push(r);
    return true;
  }
  whenRoom(): Promise<void> {
    return Promise.resolve();
  }
  get values(): string[] {
    return this.records.map((r) => r.value);
  }
}

describe('Docker json-file line parsing (dockershim)', () => {
  it('maps a record ending in a newline to a full line and one without to a partial one', () => {
    assert.deepEqual(parseDockerJsonLine('{"log":"lab log line 7\\n","stream":"stdout","time":"2026-12-06T00:41:29.949807732Z"}'), {
      time: '2026-12-06T00:41:29.949807732Z',
      stream: 'stdout',
      partial: false,
      content: 'lab log line 7',
    });
    assert.deepEqual(parseDockerJsonLine('{"log":"first 16 KiB","stream":"stderr","time":"t"}'), { time: 't', stream: 'stderr', partial: true, content: 'first 16 KiB' });
  });

  it('refuses what is not a json-file record', () => {
    for (const bad of ['{', '{"log":1,"stream":"stdout","time":"t"}', '{"log":"x\\n","stream":"tty","time":"t"}', '{"log":"x\\n","stream":"stdout"}', 'null', '[]']) {
      assert.equal(parseDockerJsonLine(bad), null, bad);
    }
  });
});

const dockerJson = (msg: string, stream = 'stdout', end = '\n') => `${JSON.stringify({ log: msg + end, stream, time: '2026-12-06T00:41:29.949807732Z' })}\n`;

const cri = (msg: string, stream = 'stdout', tag = 'F') => `2024-05-01T10:00:00.000000001Z ${stream} ${tag} ${msg}\n`;
const opts: TailOptions = { readFrom: 'head', streams: new Set(['stdout', 'stderr']), chunkBytes: 64 * 1024 };

describe('FileTail', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tail-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const tail = (emit: Collector, position?: Cursor, o: TailOptions = opts) => {
    const stats = newSourceStats();
    const t = new FileTail({ id: 'ns/pod/uid/app', namespace: 'ns', pod: 'pod', container: 'app', key: 'pod' }, dir, o, { emit, stats, log: quietLog, position });
    return { t, stats };
  };
  const drain = async (t: FileTail) => {
    for (let i = 0; i < 20; i++) if ((await t.poll(1 << 20)) === 'idle') return;
  };

  it('reads lines, joins partial ones, and waits for an unfinished last line', async () => {
    writeFileSync(join(dir, '0.log'), cri('one') + cri('tw', 'stdout', 'P') + cri('o') + cri('err', 'stderr') + '2024-05-01T10:00:00Z stdout F thr');
    const c = new Collector();
    const { t, stats } = tail(c);
    await drain(t);
    assert.deepEqual(c.values, ['one', 'two', 'err']);
    appendFileSync(join(dir, '0.log'), 'ee\n');
    await drain(t);
    assert.deepEqual(c.values, ['one', 'two', 'err', 'three']);
    assert.equal(stats.linesRead, 4);
    assert.equal(stats.partialJoined, 1);
    assert.equal(c.records.every((r) => r.key === 'pod'), true);
    await t.close();
  });

  it('reads dockershim’s layout: 0.log links to dockerd’s json-file log; partial records join; dockerd’s own rotation is followed', async () => {
    const store = mkdtempSync(join(tmpdir(), 'docker-containers-'));
    try {
      const target = join(store, 'abc-json.log');
      writeFileSync(target, dockerJson('one') + dockerJson('tw', 'stdout', '') + dockerJson('o') + dockerJson('err', 'stderr'));
      symlinkSync(target, join(dir, '0.log'));
      const c = new Collector();
      const { t, stats } = tail(c);
      await drain(t);
      assert.deepEqual(c.values, ['one', 'two', 'err']);
      assert.equal(stats.partialJoined, 1);
      assert.equal(stats.parseErrors, 0);
      // dockerd rotates by renaming the file under the link and starting a new one at the same path.
      appendFileSync(target, dockerJson('late'));
      renameSync(target, `${target}.1`);
      writeFileSync(target, dockerJson('next'));
      await drain(t);
      assert.deepEqual(c.values, ['one', 'two', 'err', 'late', 'next']);
      await t.close();
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  });

  it('follows a kubelet rotation: drains the renamed file, then reads the new one', async () => {
    const live = join(dir, '0.log');
    writeFileSync(live, cri('a1') + cri('a2'));
    const c = new Collector();
    const { t, stats } = tail(c);
    await drain(t);
    // The writer adds a line to the old file after the rename, before reopening (the race in real life).
    renameSync(live, join(dir, '0.log.20240501-100000'));
    appendFileSync(join(dir, '0.log.20240501-100000'), cri('a3'));
    writeFileSync(live, cri('b1'));
    await drain(t);
    appendFileSync(live, cri('b2'));
    await drain(t);
    assert.deepEqual(c.values, ['a1', 'a2', 'a3', 'b1', 'b2']);
    assert.equal(stats.rotations, 1);
    await t.close();
  });

  it('moves to N+1.log after a container restart', async () => {
    writeFileSync(join(dir, '0.log'), cri('first-run'));
    const c = new Collector();
    const { t } = tail(c);
    await drain(t);
    writeFileSync(join(dir, '1.log'), cri('second-run'));
    await drain(t);
    assert.deepEqual(c.values, ['first-run', 'second-run']);
    await t.close();
  });

  it('resumes from a saved position without resending, across a rotation', async () => {
    writeFileSync(join(dir, '0.log'), cri('x1') + cri('x2') + cri('x3'));
    const c1 = new Collector();
    const { t: t1 } = tail(c1);
    await drain(t1);
    await t1.close();
    const acked = c1.records[1]!.origin!.cursor; // x1 and x2 were acknowledged, x3 was not
    renameSync(join(dir, '0.log'), join(dir, '0.log.20240501-100000'));
    writeFileSync(join(dir, '0.log'), cri('y1'));
    const c2 = new Collector();
    const { t: t2 } = tail(c2, acked);
    await drain(t2);
    assert.deepEqual(c2.values, ['x3', 'y1']);
    await t2.close();
  });

  it('stops reading while the buffer is full and loses nothing', async () => {
    writeFileSync(join(dir, '0.log'), Array.from({ length: 10 }, (_, i) => cri(`l${i}`)).join(''));
    const c = new Collector();
    const { t } = tail(c);
    const orig = c.offer.bind(c);
    c.offer = (r) => (c.records.length >= 4 ? false : orig(r));
    assert.equal(await t.poll(1 << 20), 'blocked');
    assert.equal(t.isBlocked, true);
    assert.equal(c.records.length, 4);
    c.offer = orig;
    await drain(t);
    assert.deepEqual(c.values, Array.from({ length: 10 }, (_, i) => `l${i}`));
    await t.close();
  });

  it('with readFrom=tail, ships only what is written after it starts', async () => {
    writeFileSync(join(dir, '0.log'), cri('old'));
    const c = new Collector();
    const { t } = tail(c, undefined, { ...opts, readFrom: 'tail' });
    await drain(t);
    appendFileSync(join(dir, '0.log'), cri('new'));
    await drain(t);
    assert.deepEqual(c.values, ['new']);
    await t.close();
  });

  it('filters streams', async () => {
    writeFileSync(join(dir, '0.log'), cri('out') + cri('err', 'stderr'));
    const c = new Collector();
    const { t } = tail(c, undefined, { ...opts, streams: new Set(['stdout']) });
    await drain(t);
    assert.deepEqual(c.values, ['out']);
    await t.close();
  });

  it('reports the stream gone once the directory is deleted and the file drained', async () => {
    const sub = join(dir, 'c');
    mkdirSync(sub);
    writeFileSync(join(sub, '0.log'), cri('last'));
    const c = new Collector();
    const stats = newSourceStats();
    const t = new FileTail({ id: 'x', namespace: 'ns', pod: 'p', container: 'c', key: 'p' }, sub, opts, { emit: c, stats, log: quietLog, position: undefined });
    await drain(t);
    assert.equal(await t.isGone(), false);
    rmSync(sub, { recursive: true });
    assert.equal(await t.isGone(), true);
    assert.deepEqual(c.values, ['last']);
    await t.close();
  });
});
