// How far each source stream got, persisted so a restarted shipper neither resends what Kafka already
// has nor skips what it never sent. A position moves when a record is done: acknowledged by Kafka or
// dropped by the buffer. Records can finish out of order (a dropped line can be newer than a batch
// still being retried), so a position only ever moves to a higher sequence number.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { errorMessage, type Logger } from '../lib/log.ts';
import type { LogRecord, Origin } from '../pipeline/record.ts';

export type Cursor = Origin['cursor'];

interface Entry {
  seq: number;
  cursor: Cursor;
}

export class Positions {
  private readonly entries = new Map<string, Entry>();
  private dirty = false;

  constructor(private readonly path: string | undefined, private readonly log: Logger) {}

  load(): void {
    if (!this.path) return;
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn('cannot read positions', { path: this.path, error: errorMessage(e) });
      return;
    }
    try {
      const data = JSON.parse(text) as { streams?: Record<string, Cursor> };
      // Sequence numbers restart with the process; anything read from now on is newer.
      for (const [k, cursor] of Object.entries(data.streams ?? {})) this.entries.set(k, { seq: -1, cursor });
      this.log.info('positions loaded', { path: this.path, streams: this.entries.size });
    } catch (e) {
      this.log.warn('positions file is corrupt, starting over', { path: this.path, error: errorMessage(e) });
    }
  }

  get(stream: string): Cursor | undefined {
    return this.entries.get(stream)?.cursor;
  }

  done(records: readonly LogRecord[]): void {
    for (const r of records) {
      const o = r.origin;
      if (!o) continue;
      const cur = this.entries.get(o.stream);
      if (cur && cur.seq >= o.seq) continue;
      this.entries.set(o.stream, { seq: o.seq, cursor: o.cursor });
      this.dirty = true;
    }
  }

  forget(stream: string): void {
    if (this.entries.delete(stream)) this.dirty = true;
  }

  /** Writes the file if anything moved; atomically, so a kill mid-write leaves the old version. */
  save(): void {
    if (!this.path || !this.dirty) return;
    const streams: Record<string, Cursor> = {};
    for (const [k, e] of this.entries) streams[k] = e.cursor;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.tmp`;
      writeFileSync(tmp, JSON.stringify({ version: 1, streams }));
      renameSync(tmp, this.path);
      this.dirty = false;
    } catch (e) {
      this.log.warn('cannot save positions', { path: this.path, error: errorMessage(e) });
    }
  }
}
