// The `kubelet-api` source for one container: GET /api/v1/namespaces/<ns>/pods/<pod>/log?follow=true
// through @kubernetes/client-node's Log. The API server proxies it to the kubelet of the pod's node,
// which reads the CRI files itself: every byte goes through the kubelet, like `docker logs` reads went
// through dockerd in 2019. After a drop, it reconnects with sinceTime and skips what it already had.
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { Log, type KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../lib/clock.ts';
import { errorMessage, type Logger } from '../lib/log.ts';
import { makeRecord, type LogRecord } from '../pipeline/record.ts';
import { normalizeTs, Resume, sinceTimeOf, type ResumePoint } from './kube-resume.ts';
import type { Cursor } from './positions.ts';
import type { Emitter, SourceStats, Target } from './source.ts';

export interface KubeStreamOptions {
  reconnectMs: number;
  /** A follow stream silent this long (while we are not the ones holding it back) is re-opened. */
  idleMs: number;
  /** Without a saved position: all of the container's log (head) or only what comes next (tail). */
  readFrom: 'head' | 'tail';
}

export interface KubeStreamDeps {
  kc: KubeConfig;
  emit: Emitter;
  stats: SourceStats;
  log: Logger;
  clock: Clock;
  position: Cursor | undefined;
}

export class KubeLogStream {
  private stopped = false;
  private readonly abort = new AbortController();
  private current: AbortController | null = null;
  private readonly resume: Resume;
  private seq = 0;
  private running: Promise<void> | null = null;
  /** Set when the API says the pod or container does not exist (404): discovery decides what next. */
  gone = false;

  constructor(readonly target: Target, private readonly opts: KubeStreamOptions, private readonly deps: KubeStreamDeps) {
    this.resume = Resume.fromCursor(deps.position);
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.current?.abort();
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
        await this.follow();
      } catch (e) {
        const code = (e as { code?: number }).code;
        if (code === 404) this.gone = true;
        this.deps.log.warn('log stream failed', { target: this.target.id, code, error: errorMessage(e) });
      }
    }
  }

  /** One connection, until it ends, errors, goes idle or we stop. */
  private async follow(): Promise<void> {
    this.resume.reconnect();
    const last = this.resume.last;
    let lastDataAt = this.deps.clock.now();
    let holding = false;
    const decoder = new StringDecoder('utf8');
    let rest = '';
    const handleLine = async (line: string): Promise<void> => {
      const rec = this.toRecord(line);
      if (!rec) return;
      while (!this.deps.emit.offer(rec)) {
        // Not reading is the backpressure: TCP fills up and the kubelet stops sending.
        holding = true;
        this.deps.stats.blocked++;
        await this.deps.emit.whenRoom(rec.bytes);
        this.deps.stats.blocked--;
        holding = false;
      }
    };
    const sink = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        lastDataAt = this.deps.clock.now();
        this.deps.stats.bytesRead += chunk.length;
        const lines = (rest + decoder.write(chunk)).split('\n');
        rest = lines.pop()!;
        (async () => {
          for (const l of lines) await handleLine(l);
        })().then(() => cb(), cb);
      },
    });
    const ended = new Promise<void>((resolve) => {
      sink.on('finish', resolve);
      sink.on('error', () => resolve());
      // Log pipes the response into `sink` but listens to no error of the response stream; without
      // this an aborted or reset connection would be an uncaught exception.
      sink.on('pipe', (src: NodeJS.ReadableStream) => {
        src.on('error', (e: Error) => {
          if (!this.stopped) this.deps.log.debug('log stream dropped', { target: this.target.id, error: errorMessage(e) });
        });
        src.on('close', () => sink.end());
      });
    });
    const controller = await new Log(this.deps.kc).log(this.target.namespace, this.target.pod, this.target.container, sink, {
      follow: true,
      timestamps: true,
      ...(last ? { sinceTime: sinceTimeOf(last.ts) } : this.opts.readFrom === 'tail' ? { sinceSeconds: 1 } : {}),
    });
    this.current = controller;
    const watchdog = setInterval(() => {
      if (!holding && this.deps.clock.now() - lastDataAt > this.opts.idleMs) controller.abort();
    }, Math.min(this.opts.idleMs, 5_000));
    try {
      await ended;
    } finally {
      clearInterval(watchdog);
      controller.abort();
      this.current = null;
    }
  }

  private toRecord(line: string): LogRecord | null {
    if (line === '') return null;
    const sp = line.indexOf(' ');
    const ts = sp > 0 ? normalizeTs(line.slice(0, sp)) : null;
    if (!ts) {
      this.deps.stats.parseErrors++;
      return null;
    }
    if (!this.resume.accept(ts)) {
      this.deps.stats.linesReread++;
      return null;
    }
    this.deps.stats.linesRead++;
    const at: ResumePoint = this.resume.last!;
    return makeRecord(this.target.key, line.slice(sp + 1), { stream: this.target.id, seq: ++this.seq, cursor: { ts: at.ts, n: at.n } });
  }
}
