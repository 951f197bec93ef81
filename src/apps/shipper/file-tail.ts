// Follows one container's CRI log files: reads from a position, joins partial lines, moves on to the
// next file after a rotation (kubelet renames N.log and containerd reopens a new N.log) or a container
// restart (N+1.log), and stops reading while the buffer is full so the backlog stays on disk.
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../lib/log.ts';
import { makeRecord, type LogRecord } from '../pipeline/record.ts';
import { parseCriLine, PartialJoiner, type StdStream } from './cri.ts';
import { parseDockerJsonLine } from './docker-json.ts';
import { listLogFiles, type LogFile } from './log-files.ts';
import type { Cursor } from './positions.ts';
import type { Emitter, SourceStats, Target } from './source.ts';

export interface TailOptions {
  readFrom: 'head' | 'tail';
  streams: ReadonlySet<StdStream>;
  chunkBytes: number;
}

export interface TailDeps {
  emit: Emitter;
  stats: SourceStats;
  log: Logger;
  /** Where a previous process got to, if anywhere. */
  position: Cursor | undefined;
}

interface Current {
  fh: FileHandle;
  name: string;
  ino: number;
  offset: number;
}

export type PollResult = 'progress' | 'idle' | 'blocked';

const NL = 0x0a;

export class FileTail {
  private cur: Current | null = null;
  private pending: LogRecord | null = null;
  private readonly joiner = new PartialJoiner();
  private seq = 0;
  /** Files already consumed (or skipped), by inode, with the size we saw: a new file reusing the inode is smaller. */
  private readonly finished = new Map<number, number>();
  private started = false;
  private readonly buf: Buffer;
  private joinedSeen = 0;

  constructor(
    readonly target: Target,
    readonly dir: string,
    private readonly opts: TailOptions,
    private readonly deps: TailDeps,
  ) {
    this.buf = Buffer.allocUnsafe(opts.chunkBytes);
  }

  get isBlocked(): boolean {
    return this.pending !== null;
  }

  /** Size of the record the buffer refused (0 when none): what must fit before this tail can go on. */
  get pendingBytes(): number {
    return this.pending?.bytes ?? 0;
  }

  /** Reads up to about `budget` bytes. */
  async poll(budget: number): Promise<PollResult> {
    if (this.pending) {
      if (!this.deps.emit.offer(this.pending)) return 'blocked';
      this.pending = null;
    }
    if (!this.cur && !(await this.openStart())) return 'idle';
    let read = 0;
    while (read < budget) {
      const n = await this.readChunk();
      if (n < 0) return 'blocked';
      if (n > 0) {
        read += n;
        continue;
      }
      const next = await this.findNext();
      if (!next) break;
      // The writer may have added a last bit to the old file before switching: drain it first.
      const m = await this.readChunk();
      if (m < 0) return 'blocked';
      if (m > 0) {
        read += m;
        continue;
      }
      await this.switchTo(next);
    }
    return read > 0 ? 'progress' : 'idle';
  }

  async close(): Promise<void> {
    const c = this.cur;
    this.cur = null;
    await c?.fh.close().catch(() => undefined);
  }

  /** True once nothing more can come: the directory is gone and the open file is drained. */
  async isGone(): Promise<boolean> {
    if (this.pending) return false;
    const files = await listLogFiles(this.dir);
    if (files.length > 0) return false;
    if (!this.cur) return true;
    return (await this.cur.fh.stat()).size <= this.cur.offset;
  }

  private async openStart(): Promise<boolean> {
    const files = await listLogFiles(this.dir);
    if (files.length === 0) return false;
    const pos = this.started ? undefined : this.deps.position;
    let index = 0;
    let offset = 0;
    if (pos && typeof pos.ino === 'number' && typeof pos.off === 'number') {
      const i = files.findIndex((f) => f.ino === pos.ino && f.size >= (pos.off as number));
      if (i >= 0) {
        index = i;
        offset = pos.off;
      } else {
        this.deps.log.warn('file of the saved position is gone; reading from the oldest file', { target: this.target.id, position: pos });
      }
    } else if (!this.started && this.opts.readFrom === 'tail') {
      index = files.length - 1;
      offset = files[index]!.size;
    }
    this.started = true;
    for (const f of files.slice(0, index)) this.finished.set(f.ino, f.size);
    await this.openFile(files[index]!, offset);
    return true;
  }

  private async openFile(f: LogFile, offset: number): Promise<void> {
    const fh = await open(join(this.dir, f.name), 'r');
    // The inode of the open handle, not of the name: the name may already point to a newer file.
    const ino = (await fh.stat()).ino;
    this.cur = { fh, name: f.name, ino, offset };
  }

  /** The oldest file that is neither the current one nor finished. */
  private async findNext(): Promise<LogFile | null> {
    const cur = this.cur!;
    const files = await listLogFiles(this.dir);
    const present = new Set(files.map((f) => f.ino));
    for (const ino of this.finished.keys()) if (!present.has(ino)) this.finished.delete(ino);
    for (const f of files) {
      if (f.ino === cur.ino) continue;
      const seen = this.finished.get(f.ino);
      if (seen !== undefined && f.size >= seen) continue;
      return f;
    }
    return null;
  }

  private async switchTo(next: LogFile): Promise<void> {
    const cur = this.cur!;
    this.finished.set(cur.ino, cur.offset);
    await cur.fh.close().catch(() => undefined);
    this.joiner.reset();
    this.deps.stats.rotations++;
    this.deps.log.debug('next log file', { target: this.target.id, from: cur.name, to: next.name });
    this.cur = null;
    await this.openFile(next, 0);
  }

  /** Consumes complete lines from the current offset: bytes consumed, 0 at end of data, -1 when blocked. */
  private async readChunk(): Promise<number> {
    const cur = this.cur!;
    const { bytesRead } = await cur.fh.read(this.buf, 0, this.buf.length, cur.offset);
    if (bytesRead === 0) return 0;
    const data = this.buf.subarray(0, bytesRead);
    let start = 0;
    for (;;) {
      let end = data.indexOf(NL, start);
      if (end < 0) {
        // A line longer than the whole chunk cannot be a CRI record (they are ~16 KiB): take it as is.
        if (start === 0 && bytesRead === this.buf.length) end = bytesRead;
        else break;
      }
      const raw = data.toString('utf8', start, end);
      const next = Math.min(end + 1, bytesRead);
      this.deps.stats.bytesRead += next - start;
      start = next;
      const record = this.toRecord(raw, cur.offset + start, cur);
      if (record && !this.deps.emit.offer(record)) {
        this.pending = record;
        cur.offset += start;
        return -1;
      }
      if (start >= bytesRead) break;
    }
    // An incomplete last line stays unread until the writer finishes it.
    cur.offset += start;
    return start;
  }

  private toRecord(raw: string, lineEnd: number, cur: Current): LogRecord | null {
    // Docker's json-file records start with '{', the CRI's with their time stamp.
    const e = raw.startsWith('{') ? parseDockerJsonLine(raw) : parseCriLine(raw);
    if (!e) {
      this.deps.stats.parseErrors++;
      return null;
    }
    if (!this.opts.streams.has(e.stream)) return null;
    const msg = this.joiner.push(e);
    if (this.joiner.joined !== this.joinedSeen) {
      this.deps.stats.partialJoined += this.joiner.joined - this.joinedSeen;
      this.joinedSeen = this.joiner.joined;
    }
    if (!msg) return null;
    this.deps.stats.linesRead++;
    return makeRecord(this.target.key, msg.content, {
      stream: this.target.id,
      seq: ++this.seq,
      cursor: { ino: cur.ino, off: lineEnd, file: cur.name },
    });
  }
}
