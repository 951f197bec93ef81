// The `docker-api` source for one container: GET /containers/{id}/logs?follow=1 on the node's dockerd,
// the way logspout and fluentd's docker input read logs in 2019. dockerd decodes its json-file log and
// writes every byte of it to this connection, so a shipper re-reading a backlog keeps the daemon busy
// that the kubelet's relist also waits on. Not reading while the buffer is full is the backpressure:
// the socket fills and dockerd's follower stalls until the shipper reads again, at flush speed.
import type { Clock } from '../lib/clock.ts';
import { errorMessage, type Logger } from '../lib/log.ts';
import { makeRecord, type LogRecord } from '../pipeline/record.ts';
import type { StdStream } from './cri.ts';
import { DockerApiError, type DockerClient } from './docker-client.ts';
import type { DockerTarget } from './docker-discovery.ts';
import { frameReaderFor } from './docker-frames.ts';
import { LineAssembler, type DockerLine } from './docker-lines.ts';
import { Resume, type ResumePoint } from './kube-resume.ts';
import type { Cursor } from './positions.ts';
import type { Emitter, SourceStats } from './source.ts';

export interface DockerStreamOptions {
  reconnectMs: number;
  /** A follow stream silent this long (while we are not the ones holding it back) is re-opened. */
  idleMs: number;
  /** Without a saved position: all of the container's log (head) or only what comes next (tail). */
  readFrom: 'head' | 'tail';
  streams: ReadonlySet<StdStream>;
}

export interface DockerStreamDeps {
  client: DockerClient;
  emit: Emitter;
  stats: SourceStats;
  log: Logger;
  clock: Clock;
  position: Cursor | undefined;
}

/**
 * dockerd's `since` as it parses it: Unix seconds with a nanosecond fraction. Docker keeps messages at
 * or after it, so a reconnect re-reads only the lines stamped exactly like the last one read.
 */
export function dockerSince(normalizedTs: string): string {
  return `${Date.parse(`${normalizedTs.slice(0, 19)}Z`) / 1000}.${normalizedTs.slice(20, 29)}`;
}

/** The logs request for a connection: resume from `last`, else the whole log or, for tail, from `tailFrom`. */
export function logsPath(containerId: string, streams: ReadonlySet<StdStream>, last: ResumePoint | null, tailFrom: number | null): string {
  const q = new URLSearchParams({ follow: '1', stdout: streams.has('stdout') ? '1' : '0', stderr: streams.has('stderr') ? '1' : '0', timestamps: '1' });
  if (last) q.set('since', dockerSince(last.ts));
  else if (tailFrom !== null) q.set('since', (tailFrom / 1000).toFixed(3));
  return `/containers/${encodeURIComponent(containerId)}/logs?${q.toString()}`;
}

type Ending = 'ended' | 'idle';

export class DockerLogStream {
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly aborted: Promise<void>;
  private readonly resume: Resume;
  private readonly lines: LineAssembler;
  /** readFrom tail: when this stream began; a reconnect before any line resumes from there. */
  private tailFrom: number | null = null;
  private seq = 0;
  private running: Promise<void> | null = null;
  /** Set when the container is gone (404) or stopped and read to the end: discovery decides what next. */
  gone = false;

  constructor(readonly target: DockerTarget, private readonly opts: DockerStreamOptions, private readonly deps: DockerStreamDeps) {
    this.resume = Resume.fromCursor(deps.position);
    this.lines = new LineAssembler(opts.streams);
    this.aborted = new Promise((r) => this.abort.signal.addEventListener('abort', () => r(), { once: true }));
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    let first = true;
    while (!this.stopped && !this.gone) {
      if (!first) {
        this.deps.stats.reconnects++;
        await this.deps.clock.sleep(this.opts.reconnectMs, this.abort.signal);
        if (this.stopped) break;
      }
      first = false;
      try {
        const ending = await this.follow();
        if (ending === 'ended' && !this.stopped) await this.checkStopped();
      } catch (e) {
        if (this.stopped) break;
        const status = e instanceof DockerApiError ? e.status : undefined;
        if (status === 404) this.gone = true;
        this.deps.log.warn('docker log stream failed', { target: this.target.id, status, error: errorMessage(e) });
      }
    }
  }

  /** A follow stream ends by itself when its container stops; then everything has been read. */
  private async checkStopped(): Promise<void> {
    try {
      const c = await this.deps.client.getJson<{ State?: { Running?: boolean } }>(`/containers/${encodeURIComponent(this.target.containerId)}/json`, this.abort.signal);
      if (c.State?.Running === false) {
        this.gone = true;
        this.deps.log.info('container stopped, its log read to the end', { target: this.target.id });
      }
    } catch (e) {
      if (e instanceof DockerApiError && e.status === 404) this.gone = true;
      else if (!this.stopped) this.deps.log.debug('container inspect failed', { target: this.target.id, error: errorMessage(e) });
    }
  }

  /** One connection, until it ends, errors, goes idle or we stop. */
  private async follow(): Promise<Ending> {
    this.resume.reconnect();
    this.lines.reset();
    if (this.opts.readFrom === 'tail' && !this.resume.last && this.tailFrom === null) this.tailFrom = this.deps.clock.now();
    const path = logsPath(this.target.containerId, this.opts.streams, this.resume.last, this.tailFrom);
    const res = await this.deps.client.openStream(path, this.abort.signal);
    const reader = frameReaderFor(res.contentType, res.apiVersion);
    let lastDataAt = this.deps.clock.now();
    let holding = false;
    let idle = false;
    const watchdog = setInterval(() => {
      if (!holding && this.deps.clock.now() - lastDataAt > this.opts.idleMs) {
        idle = true;
        res.close();
      }
    }, Math.min(this.opts.idleMs, 5_000));
    // A reset connection errors the body; the loop below sees it as a thrown error, never unhandled.
    res.body.on('error', () => undefined);
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        lastDataAt = this.deps.clock.now();
        this.deps.stats.bytesRead += chunk.length;
        const out = this.lines.push(reader.push(chunk));
        this.deps.stats.parseErrors += out.parseErrors;
        for (const line of out.lines) {
          const rec = this.toRecord(line);
          if (!rec) continue;
          while (!this.deps.emit.offer(rec)) {
            holding = true;
            this.deps.stats.blocked++;
            await Promise.race([this.deps.emit.whenRoom(rec.bytes), this.aborted]);
            this.deps.stats.blocked--;
            holding = false;
            if (this.stopped) return 'ended';
          }
          // Data that waited in the socket while we held it is not a sign of a live stream.
          lastDataAt = this.deps.clock.now();
        }
      }
      return 'ended';
    } catch (e) {
      if (idle && !this.stopped) {
        this.deps.log.debug('docker log stream idle, reconnecting', { target: this.target.id });
        return 'idle';
      }
      throw e;
    } finally {
      clearInterval(watchdog);
      res.close();
    }
  }

  private toRecord(line: DockerLine): LogRecord | null {
    if (!this.resume.accept(line.ts)) {
      this.deps.stats.linesReread++;
      return null;
    }
    this.deps.stats.linesRead++;
    if (line.parts > 1) this.deps.stats.partialJoined++;
    const at: ResumePoint = this.resume.last!;
    return makeRecord(this.target.key, line.text, { stream: this.target.id, seq: ++this.seq, cursor: { ts: at.ts, n: at.n } });
  }
}
