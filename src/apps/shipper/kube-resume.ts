// Resuming a kubelet log stream without duplicates. The API's sinceTime reaches the kubelet with
// second precision (the API server re-encodes it as RFC3339), so a reconnect re-reads the tail of the
// last second; lines are skipped until the stream passes the last (timestamp, n-th line at that
// timestamp) already read. The kubelet prints RFC3339Nano with trailing zeros trimmed, so timestamps
// are normalised to 9 fraction digits before they are compared as strings. The docker-api source resumes
// the same way; dockerd's `since` takes nanoseconds, so it re-reads only lines at the last timestamp.

import type { Cursor } from './positions.ts';

const tsPattern = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;

export function normalizeTs(ts: string): string | null {
  const m = tsPattern.exec(ts);
  if (!m) return null;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z`;
}

/** The sinceTime to ask for: the second of `ts`, so nothing after the last read line is missed. */
export function sinceTimeOf(normalized: string): string {
  return `${normalized.slice(0, 19)}Z`;
}

export interface ResumePoint {
  ts: string;
  n: number;
}

export class Resume {
  private conn: ResumePoint | null = null;
  /**
   * Set once this connection read past the last point. From then on every line is new: stdout and
   * stderr are copied by separate goroutines (dockerd's json-file) or pipes (containerd), so a line
   * can be stamped a little earlier than the one before it, and must not be taken for a re-read.
   */
  private passed = false;

  constructor(private lastRead: ResumePoint | null) {}

  /** From a saved position: a cursor of another shape (a file source's, a damaged file) starts afresh. */
  static fromCursor(p: Cursor | undefined): Resume {
    return new Resume(p && typeof p.ts === 'string' && typeof p.n === 'number' ? { ts: p.ts, n: p.n } : null);
  }

  get last(): ResumePoint | null {
    return this.lastRead;
  }

  /** Call when a new connection starts: line counting at a timestamp starts over. */
  reconnect(): void {
    this.conn = null;
    this.passed = false;
  }

  /** True if the line is new; false if it was read before. */
  accept(ts: string): boolean {
    if (this.conn && this.conn.ts === ts) this.conn.n++;
    else this.conn = { ts, n: 1 };
    const last = this.lastRead;
    const older = last !== null && (ts < last.ts || (ts === last.ts && this.conn.n <= last.n));
    if (older && !this.passed) return false;
    this.passed = true;
    // An out-of-order line leaves the point where it is: a resume from there re-reads only later lines.
    if (!older) this.lastRead = { ts, n: this.conn.n };
    return true;
  }
}
