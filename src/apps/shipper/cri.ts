// The CRI container log format written by containerd's shims under /var/log/pods:
//   <RFC3339Nano time> <stdout|stderr> <tags> <message>
// The first tag is F (full) or P (partial). A line longer than the runtime's buffer (16 KiB in
// containerd) is split into P records ending with one F record; the message is their concatenation.

export type StdStream = 'stdout' | 'stderr';

export interface CriEntry {
  time: string;
  stream: StdStream;
  partial: boolean;
  content: string;
}

export function parseCriLine(line: string): CriEntry | null {
  const s1 = line.indexOf(' ');
  if (s1 <= 0) return null;
  const s2 = line.indexOf(' ', s1 + 1);
  if (s2 < 0) return null;
  const stream = line.slice(s1 + 1, s2);
  if (stream !== 'stdout' && stream !== 'stderr') return null;
  let s3 = line.indexOf(' ', s2 + 1);
  // An empty message may be written without the separating space.
  if (s3 < 0) s3 = line.length;
  const tags = line.slice(s2 + 1, s3);
  const tag = tags.split(':', 1)[0];
  if (tag !== 'F' && tag !== 'P') return null;
  return { time: line.slice(0, s1), stream, partial: tag === 'P', content: line.slice(s3 + 1) };
}

/** Joins P records per stream; returns the complete message when its F record arrives. */
export class PartialJoiner {
  private readonly parts: Record<StdStream, string[]> = { stdout: [], stderr: [] };
  private readonly sizes: Record<StdStream, number> = { stdout: 0, stderr: 0 };
  /** Messages that were assembled from more than one record. */
  joined = 0;
  /** Messages cut because their parts exceeded maxBytes (a runaway writer must not eat the memory). */
  truncated = 0;

  constructor(private readonly maxBytes = 1024 * 1024) {}

  push(e: CriEntry): { content: string; time: string } | null {
    const parts = this.parts[e.stream];
    if (e.partial) {
      if (this.sizes[e.stream] + e.content.length > this.maxBytes) {
        this.truncated++;
        return this.flush(e.stream, e.content, e.time);
      }
      parts.push(e.content);
      this.sizes[e.stream] += e.content.length;
      return null;
    }
    if (parts.length === 0) return { content: e.content, time: e.time };
    this.joined++;
    return this.flush(e.stream, e.content, e.time);
  }

  /** Drops unfinished partial lines, e.g. when a file ends (rotation, container restart). */
  reset(): void {
    this.parts.stdout = [];
    this.parts.stderr = [];
    this.sizes.stdout = this.sizes.stderr = 0;
  }

  private flush(stream: StdStream, last: string, time: string): { content: string; time: string } {
    const content = this.parts[stream].join('') + last;
    this.parts[stream] = [];
    this.sizes[stream] = 0;
    return { content, time };
  }
}
