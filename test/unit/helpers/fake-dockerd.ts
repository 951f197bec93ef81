// A stand-in for the parts of dockerd's API the docker-api source uses, on a unix socket in a temp
// folder: the container list with label filters, inspect, and the follow log stream in Docker's
// multiplexed framing with `since` (nanoseconds, inclusive) and stdout/stderr selection. It can cut
// every connection after a number of messages, to make the shipper reconnect. The real daemon is in
// test/component/shipper-docker.test.ts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeMessage {
  stream: 'stdout' | 'stderr';
  /** RFC3339 with 9 fraction digits, as dockerd prints it. */
  ts: string;
  /** With its "\n", or without for a json-file part of a long line. */
  text: string;
}

export interface FakeContainer {
  id: string;
  labels: Record<string, string>;
  running: boolean;
  log: FakeMessage[];
}

/** Nanoseconds since the epoch, for `since` comparisons. */
function nanos(ts: string): bigint {
  const whole = BigInt(Date.parse(`${ts.slice(0, 19)}Z`)) / 1000n;
  return whole * 1_000_000_000n + BigInt((ts.slice(20, 29) || '0').padEnd(9, '0'));
}

function sinceNanos(since: string): bigint {
  const [s, frac = ''] = since.split('.');
  return BigInt(s!) * 1_000_000_000n + BigInt(frac.padEnd(9, '0').slice(0, 9) || '0');
}

export function frameOf(m: FakeMessage): Buffer {
  const body = Buffer.from(`${m.ts} ${m.text}`);
  const h = Buffer.alloc(8);
  h[0] = m.stream === 'stdout' ? 1 : 2;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
}

export class FakeDockerd {
  readonly socketPath: string;
  readonly containers = new Map<string, FakeContainer>();
  readonly requests: URL[] = [];
  /** Cut every log connection after this many messages (null: never). */
  cutAfter: number | null = null;
  /** Bytes per write, so frames arrive split across chunks. */
  writeBytes = 13;
  private readonly dir: string;
  private readonly server: Server;
  private readonly open = new Set<ServerResponse>();

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'fake-dockerd-'));
    this.socketPath = join(this.dir, 'docker.sock');
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(this.socketPath, r));
    return this;
  }

  async stop(): Promise<void> {
    for (const r of this.open) r.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Appends to a container's log; followers get it at once. */
  append(id: string, ...msgs: FakeMessage[]): void {
    this.containers.get(id)!.log.push(...msgs);
    for (const f of this.followers) f();
  }

  private readonly followers = new Set<() => void>();

  logRequests(id?: string): URL[] {
    return this.requests.filter((u) => /\/logs$/.test(u.pathname) && (!id || u.pathname.includes(id)));
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json', 'api-version': '1.45' });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url!, 'http://docker');
    this.requests.push(url);
    if (url.pathname === '/containers/json') {
      const labels = (JSON.parse(url.searchParams.get('filters') ?? '{}') as { label?: string[] }).label ?? [];
      const matches = (c: FakeContainer) =>
        labels.every((t) => {
          const i = t.indexOf('=');
          return i < 0 ? t in c.labels : c.labels[t.slice(0, i)] === t.slice(i + 1);
        });
      return this.json(res, 200, [...this.containers.values()].filter((c) => c.running && matches(c)).map((c) => ({ Id: c.id, Labels: c.labels })));
    }
    const m = /^\/containers\/([^/]+)\/(json|logs)$/.exec(url.pathname);
    const c = m ? this.containers.get(m[1]!) : undefined;
    if (!m || !c) return this.json(res, 404, { message: `No such container: ${m?.[1] ?? url.pathname}` });
    if (m[2] === 'json') return this.json(res, 200, { Id: c.id, State: { Running: c.running } });
    await this.follow(c, url, res);
  }

  private async follow(c: FakeContainer, url: URL, res: ServerResponse): Promise<void> {
    const want = new Set([url.searchParams.get('stdout') === '1' ? 'stdout' : '', url.searchParams.get('stderr') === '1' ? 'stderr' : '']);
    const since = url.searchParams.get('since');
    const from = since ? sinceNanos(since) : null;
    res.writeHead(200, { 'content-type': 'application/vnd.docker.multiplexed-stream', 'api-version': '1.45' });
    this.open.add(res);
    res.on('close', () => this.open.delete(res));
    let next = 0;
    let sent = 0;
    const write = async (buf: Buffer): Promise<boolean> => {
      for (let off = 0; off < buf.length; off += this.writeBytes) {
        if (res.destroyed) return false;
        if (!res.write(buf.subarray(off, off + this.writeBytes))) await new Promise((r) => res.once('drain', r));
      }
      return !res.destroyed;
    };
    for (;;) {
      while (next < c.log.length) {
        const msg = c.log[next++]!;
        if (!want.has(msg.stream) || (from !== null && nanos(msg.ts) < from)) continue;
        if (!(await write(frameOf(msg)))) return;
        if (this.cutAfter !== null && ++sent >= this.cutAfter) {
          // Flushed first: destroy() drops what is still queued, and the cut is meant to come after these.
          await new Promise<void>((r) => res.write('', () => r()));
          res.destroy();
          return;
        }
      }
      if (!c.running || url.searchParams.get('follow') !== '1') {
        res.end();
        return;
      }
      const woken = new Promise<void>((r) => {
        const f = () => {
          this.followers.delete(f);
          r();
        };
        this.followers.add(f);
        res.once('close', f);
      });
      await woken;
      if (res.destroyed) return;
    }
  }

  /** Stops a container: its followers get the rest of its log, then the end of the stream. */
  stopContainer(id: string): void {
    this.containers.get(id)!.running = false;
    for (const f of this.followers) f();
  }
}
