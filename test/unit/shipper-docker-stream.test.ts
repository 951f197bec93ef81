// The docker-api source against a fake dockerd on a unix socket (helpers/fake-dockerd.ts): a follow
// stream cut every few messages and resumed with `since`, lines sharing a timestamp, stdout and
// stderr interleaved, a long line in parts, a buffer that fills up, containers that stop or vanish, and
// discovery by dockershim's labels.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { systemClock } from '../../src/apps/lib/clock.ts';
import type { LogRecord } from '../../src/apps/pipeline/record.ts';
import { DockerClient } from '../../src/apps/shipper/docker-client.ts';
import { LABELS, type DockerTarget } from '../../src/apps/shipper/docker-discovery.ts';
import { DockerSource } from '../../src/apps/shipper/docker-source.ts';
import { dockerSince, DockerLogStream, type DockerStreamOptions } from '../../src/apps/shipper/docker-stream.ts';
import { Positions } from '../../src/apps/shipper/positions.ts';
import { createSelection } from '../../src/apps/shipper/selection.ts';
import { newSourceStats, type Emitter } from '../../src/apps/shipper/source.ts';
import { FakeDockerd, type FakeMessage } from './helpers/fake-dockerd.ts';
import { quietLog } from './helpers/apps-fakes.ts';

const ID = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);

/** Three lines share each timestamp, so a resume must count lines within one. */
function messages(n: number, startMs = Date.UTC(2024, 4, 1, 10)): FakeMessage[] {
  return Array.from({ length: n }, (_, i) => {
    const t = new Date(startMs + Math.floor(i / 3)).toISOString().replace('Z', '000001Z');
    return { stream: i % 5 === 4 ? 'stderr' : 'stdout', ts: t, text: `{"seq":${i + 1}}\n` };
  });
}

const seqs = (got: LogRecord[]) => got.map((r) => (JSON.parse(r.value) as { seq: number }).seq);
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const target = (id = ID): DockerTarget => ({ id: `dev/app-1/uid-1/app/${id.slice(0, 12)}`, namespace: 'dev', pod: 'app-1', container: 'app', key: 'app-1', containerId: id });
const opts = (o: Partial<DockerStreamOptions> = {}): DockerStreamOptions => ({ reconnectMs: 5, idleMs: 5_000, readFrom: 'head', streams: new Set(['stdout', 'stderr']), ...o });

function collector(): { emit: Emitter; got: LogRecord[]; hold(ms: number): void } {
  const got: LogRecord[] = [];
  let full = false;
  const waiters: Array<() => void> = [];
  return {
    got,
    emit: {
      offer: (r) => {
        if (full) return false;
        got.push(r);
        return true;
      },
      whenRoom: () => (full ? new Promise((r) => waiters.push(r)) : Promise.resolve()),
    },
    hold(ms) {
      full = true;
      setTimeout(() => {
        full = false;
        waiters.splice(0).forEach((w) => w());
      }, ms);
    },
  };
}

/** Everything started, stopped after each test even when it failed half-way (or it would keep reconnecting). */
const live: Array<{ stop(): Promise<void> }> = [];
function started<T extends { start(): void; stop(): Promise<void> }>(x: T): T {
  live.push(x);
  x.start();
  return x;
}
afterEach(async () => {
  await Promise.all(live.splice(0).map((x) => x.stop()));
});

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('docker-api log stream', () => {
  let dockerd: FakeDockerd;
  let client: DockerClient;

  before(async () => {
    dockerd = await new FakeDockerd().start();
    client = new DockerClient({ socketPath: dockerd.socketPath, timeoutMs: 2_000 });
  });
  after(() => dockerd.stop());
  beforeEach(() => {
    dockerd.containers.clear();
    dockerd.requests.length = 0;
    dockerd.cutAfter = null;
    dockerd.writeBytes = 13;
  });

  it('dockerd\'s since: Unix seconds with the nanoseconds of the last line', () => {
    assert.equal(dockerSince('2024-05-01T10:00:00.000000001Z'), '1714557600.000000001');
    assert.equal(dockerSince('2024-05-01T10:00:01.120000000Z'), '1714557601.120000000');
  });

  it('reconnects after every cut, resumes with since and skips what it had: each line once, stdout and stderr', async () => {
    const log = messages(300);
    dockerd.containers.set(ID, { id: ID, labels: {}, running: true, log });
    dockerd.cutAfter = 37;
    const c = collector();
    const stats = newSourceStats();
    const s = started(new DockerLogStream(target(), opts(), { client, emit: c.emit, stats, log: quietLog, clock: systemClock, position: undefined }));
        await until('100 lines', () => c.got.length >= 100);
    c.hold(50);
    await until('every line', () => c.got.length >= 300);
    await new Promise((r) => setTimeout(r, 50));
    await s.stop();
    assert.deepEqual(seqs(c.got), range(300));
    assert.ok(c.got.every((r) => r.key === 'app-1' && r.origin!.stream === target().id));
    assert.equal(stats.linesRead, 300);
    assert.ok(stats.reconnects >= 7, `${stats.reconnects} reconnects`);
    assert.ok(stats.linesReread > 0, 'a reconnect re-reads the lines at the last timestamp');
    const reqs = dockerd.logRequests(ID);
    assert.equal(reqs[0]!.searchParams.get('follow'), '1');
    assert.equal(reqs[0]!.searchParams.get('timestamps'), '1');
    assert.equal(reqs[0]!.searchParams.get('stdout'), '1');
    assert.equal(reqs[0]!.searchParams.get('stderr'), '1');
    assert.equal(reqs[0]!.searchParams.has('since'), false, 'head: the whole log');
    for (const u of reqs.slice(1)) assert.match(u.searchParams.get('since')!, /^\d{10}\.\d{9}$/);
    // The cursor a position saves is the resume point of the line.
    const last = c.got.at(-1)!.origin!.cursor;
    assert.deepEqual(last, { ts: log.at(-1)!.ts, n: 3 });
  });

  it('asks dockerd only for the streams it ships', async () => {
    dockerd.containers.set(ID, { id: ID, labels: {}, running: true, log: messages(50) });
    const c = collector();
    const s = started(new DockerLogStream(target(), opts({ streams: new Set(['stdout']) }), { client, emit: c.emit, stats: newSourceStats(), log: quietLog, clock: systemClock, position: undefined }));
        await until('stdout lines', () => c.got.length >= 40);
    await new Promise((r) => setTimeout(r, 50));
    await s.stop();
    assert.deepEqual(seqs(c.got), range(50).filter((i) => i % 5 !== 0));
    assert.equal(dockerd.logRequests(ID)[0]!.searchParams.get('stderr'), '0');
  });

  it('starts from a saved position: nothing before it, nothing twice', async () => {
    const log = messages(60);
    dockerd.containers.set(ID, { id: ID, labels: {}, running: true, log });
    // Line 31 is the first of three at its timestamp; 32 was the last one done.
    const c = collector();
    const s = started(new DockerLogStream(target(), opts(), { client, emit: c.emit, stats: newSourceStats(), log: quietLog, clock: systemClock, position: { ts: log[31]!.ts, n: 2 } }));
        await until('the rest', () => c.got.length >= 28);
    await new Promise((r) => setTimeout(r, 50));
    await s.stop();
    assert.deepEqual(seqs(c.got), range(60).slice(32));
    assert.equal(dockerd.logRequests(ID)[0]!.searchParams.get('since'), dockerSince(log[31]!.ts));
  });

  it('joins a long line stored in parts', async () => {
    const ts = (ms: number) => `2024-05-01T10:00:00.${String(ms).padStart(3, '0')}000000Z`;
    dockerd.containers.set(ID, {
      id: ID,
      labels: {},
      running: true,
      log: [
        { stream: 'stdout', ts: ts(1), text: '{"seq":1,"pad":"' },
        { stream: 'stderr', ts: ts(2), text: '{"seq":2}\n' },
        { stream: 'stdout', ts: ts(3), text: 'xyz"}\n' },
      ],
    });
    const c = collector();
    const stats = newSourceStats();
    const s = started(new DockerLogStream(target(), opts(), { client, emit: c.emit, stats, log: quietLog, clock: systemClock, position: undefined }));
        await until('two lines', () => c.got.length >= 2);
    await s.stop();
    assert.deepEqual(c.got.map((r) => r.value), ['{"seq":2}', '{"seq":1,"pad":"xyz"}']);
    assert.equal(stats.partialJoined, 1);
  });

  it('stops reading while the buffer is full, so dockerd cannot write; reads the rest once there is room', async () => {
    const n = 40_000;
    const log = messages(n).map((m) => ({ ...m, text: m.text.replace('}', `,"pad":"${'x'.repeat(100)}"}`) }));
    dockerd.containers.set(ID, { id: ID, labels: {}, running: true, log });
    dockerd.writeBytes = 64 * 1024;
    const c = collector();
    const stats = newSourceStats();
    c.hold(1_000);
    const s = started(new DockerLogStream(target(), opts(), { client, emit: c.emit, stats, log: quietLog, clock: systemClock, position: undefined }));
        await until('held', () => stats.blocked === 1);
    await new Promise((r) => setTimeout(r, 300));
    const readWhileHeld = stats.bytesRead;
    const total = log.reduce((sum, m) => sum + 8 + m.ts.length + 1 + m.text.length, 0);
    assert.equal(c.got.length, 0);
    assert.ok(readWhileHeld < total / 4, `read ${readWhileHeld} of ${total} bytes while held`);
    await until('every line after the hold', () => c.got.length >= n, 20_000);
    assert.equal(stats.blocked, 0);
    await s.stop();
    assert.deepEqual(seqs(c.got), range(n));
  });

  it('a container dockerd does not know (404) ends its stream', async () => {
    const s = started(new DockerLogStream(target(OTHER), opts(), { client, emit: collector().emit, stats: newSourceStats(), log: quietLog, clock: systemClock, position: undefined }));
        await until('gone', () => s.gone);
    await s.stop();
  });

  it('a stopped container is read to the end, then its stream ends', async () => {
    dockerd.containers.set(ID, { id: ID, labels: {}, running: true, log: messages(10) });
    const c = collector();
    const s = started(new DockerLogStream(target(), opts(), { client, emit: c.emit, stats: newSourceStats(), log: quietLog, clock: systemClock, position: undefined }));
        await until('first lines', () => c.got.length >= 10);
    c.hold(200);
    dockerd.append(ID, ...messages(20).slice(10));
    dockerd.stopContainer(ID);
    await until('gone', () => s.gone);
    await s.stop();
    assert.deepEqual(seqs(c.got), range(20));
  });

  it('reconnects a stream silent for longer than the idle time', async () => {
    dockerd.containers.set(ID, { id: ID, labels: {}, running: true, log: messages(3) });
    const c = collector();
    const stats = newSourceStats();
    const s = started(new DockerLogStream(target(), opts({ idleMs: 150 }), { client, emit: c.emit, stats, log: quietLog, clock: systemClock, position: undefined }));
        await until('an idle reconnect', () => dockerd.logRequests(ID).length >= 2, 3_000);
    dockerd.append(ID, ...messages(6).slice(3));
    await until('lines after it', () => c.got.length >= 6);
    await s.stop();
    assert.deepEqual(seqs(c.got), range(6));
    assert.ok(stats.reconnects >= 1);
  });

  it('readFrom tail: only what comes after the start, also across a reconnect', async () => {
    const now = Date.now();
    const old = messages(5, now - 60_000);
    dockerd.containers.set(ID, { id: ID, labels: {}, running: true, log: old });
    // More than the 3 lines sharing a timestamp, or the re-read window would be all a connection gets.
    dockerd.cutAfter = 4;
    const c = collector();
    const s = started(new DockerLogStream(target(), opts({ readFrom: 'tail', idleMs: 100 }), { client, emit: c.emit, stats: newSourceStats(), log: quietLog, clock: systemClock, position: undefined }));
        // Silent, so the watchdog reconnects before any line was read: still from the start time, not the head.
    await until('an idle reconnect', () => dockerd.logRequests(ID).length >= 2, 3_000);
    const [first, second] = dockerd.logRequests(ID);
    assert.equal(second!.searchParams.get('since'), first!.searchParams.get('since'));
    dockerd.append(ID, ...messages(12, Date.now() + 5).slice(5));
    await until('new lines', () => c.got.length >= 7);
    await new Promise((r) => setTimeout(r, 50));
    await s.stop();
    assert.deepEqual(seqs(c.got), [6, 7, 8, 9, 10, 11, 12]);
    assert.ok(dockerd.logRequests(ID).length >= 2, 'a reconnect happened');
    const since = Number(dockerd.logRequests(ID)[0]!.searchParams.get('since'));
    assert.ok(Math.abs(since * 1000 - now) < 5_000, `tail starts at the stream's start (${since})`);
  });
});

describe('docker-api source: discovery by dockershim labels', () => {
  let dockerd: FakeDockerd;
  let client: DockerClient;
  const labels = (ns: string, pod: string, uid: string, container: string, type = 'container', extra: Record<string, string> = {}) => ({
    [LABELS.namespace]: ns,
    [LABELS.pod]: pod,
    [LABELS.uid]: uid,
    [LABELS.container]: container,
    [LABELS.type]: type,
    ...extra,
  });
  const hex = (c: string) => c.repeat(64);

  before(async () => {
    dockerd = await new FakeDockerd().start();
    client = new DockerClient({ socketPath: dockerd.socketPath, timeoutMs: 2_000 });
  });
  after(() => dockerd.stop());

  function populate(): void {
    dockerd.containers.clear();
    const add = (id: string, l: Record<string, string>, n = 4) => dockerd.containers.set(id, { id, labels: l, running: true, log: messages(n) });
    add(hex('1'), labels('devenv', 'app-a', 'uid-a', 'app'));
    add(hex('2'), labels('devenv', 'app-a', 'uid-a', 'shipper'));
    add(hex('3'), labels('devenv', 'app-a', 'uid-a', 'POD', 'podsandbox', { app: 'devenv' }));
    add(hex('4'), labels('devenv', 'app-b', 'uid-b', 'app'));
    add(hex('5'), labels('devenv', 'app-b', 'uid-b', 'POD', 'podsandbox', { app: 'other' }));
    add(hex('6'), labels('kube-system', 'coredns', 'uid-c', 'app'));
    add(hex('7'), labels('devenv', 'app-d', 'uid-d', 'app'));
    add(hex('8'), labels('devenv', 'app-d', 'uid-d', 'POD', 'podsandbox', { app: 'devenv' }));
  }

  function source(scope: 'pod' | 'node', selector: string[], c: ReturnType<typeof collector>, positions = new Positions(undefined, quietLog)) {
    const self = { namespace: 'devenv', pod: scope === 'pod' ? 'app-a' : 'node-agents-x', uid: scope === 'pod' ? 'uid-a' : 'uid-x' };
    const selection = createSelection({ scope, self, namespaces: ['devenv'], containers: ['app'], podPattern: undefined });
    const stats = newSourceStats();
    const src = new DockerSource(
      { discovery: { scope, self, namespaces: ['devenv'], containers: ['app'], selector }, selection, discoveryMs: 50, stream: opts() },
      client,
      c.emit,
      stats,
      positions,
      systemClock,
      quietLog,
    );
    return { src: started(src), stats };
  }

  it('sidecar: its own pod\'s app container only', async () => {
    populate();
    const c = collector();
    const { src, stats } = source('pod', [], c);
    await until('lines', () => c.got.length >= 4);
    await new Promise((r) => setTimeout(r, 120));
    await src.stop();
    assert.deepEqual(new Set(c.got.map((r) => r.key)), new Set(['app-a']));
    assert.equal(c.got.length, 4);
    assert.equal(stats.streams, 1);
  });

  it('a container that stops while its stream is held back is still read to the end', async () => {
    populate();
    const c = collector();
    const { stats } = source('pod', [], c);
    await until('first lines', () => c.got.length >= 4);
    c.hold(400);
    dockerd.append(hex('1'), ...messages(30).slice(4));
    dockerd.stopContainer(hex('1'));
    // Several discovery rounds no longer list it while the stream waits for room.
    await until('the stream ended', () => stats.streams === 0);
    assert.deepEqual(seqs(c.got), range(30));
  });

  it('DaemonSet with a selector: the app containers of pods whose sandbox carries the labels; a stopped container\'s stream ends and its position is forgotten', async () => {
    populate();
    const c = collector();
    const positions = new Positions(undefined, quietLog);
    const { src, stats } = source('node', ['app=devenv'], c, positions);
    await until('lines of two pods', () => c.got.length >= 8);
    await new Promise((r) => setTimeout(r, 120));
    assert.deepEqual([...new Set(c.got.map((r) => r.key))].sort(), ['app-a', 'app-d']);
    assert.equal(c.got.length, 8);
    assert.equal(stats.streams, 2);
    const lists = dockerd.requests.filter((u) => u.pathname === '/containers/json').map((u) => JSON.parse(u.searchParams.get('filters')!).label);
    assert.ok(lists.some((l) => l.includes('io.kubernetes.docker.type=podsandbox') && l.includes('app=devenv') && l.includes('io.kubernetes.pod.namespace=devenv')));
    positions.done(c.got);
    const dId = `devenv/app-d/uid-d/app/${hex('7').slice(0, 12)}`;
    assert.ok(positions.get(dId));
    dockerd.stopContainer(hex('7'));
    await until('the stopped container dropped', () => stats.streams === 1);
    await src.stop();
    assert.equal(positions.get(dId), undefined);
  });
});
