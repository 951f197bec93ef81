// Frames of a `timestamps=1` log stream as complete lines. Every frame is one json-file message,
// "<RFC3339Nano> <text>": a full line ends in "\n"; a line over 16 KiB was stored as several messages,
// each with its own timestamp, and only the last ends in "\n". Parts are joined per stream (stdout and
// stderr interleave), and text is decoded per stream so a character split between parts survives.
import { StringDecoder } from 'node:string_decoder';
import type { StdStream } from './cri.ts';
import type { Frame } from './docker-frames.ts';
import { normalizeTs } from './kube-resume.ts';

export interface DockerLine {
  stream: StdStream;
  /** Normalised (9 fraction digits) timestamp of the message that completed the line. */
  ts: string;
  text: string;
  /** Messages the line was made of (> 1: joined from partial messages). */
  parts: number;
}

export interface LinesOut {
  lines: DockerLine[];
  /** Frames with no valid timestamp prefix, dropped. */
  parseErrors: number;
}

interface Partial {
  text: string;
  parts: number;
  decoder: StringDecoder;
}

export class LineAssembler {
  private readonly partial = new Map<StdStream, Partial>();

  constructor(private readonly streams: ReadonlySet<StdStream>) {}

  /** Forget half-read lines: a new connection re-reads them from their first part. */
  reset(): void {
    this.partial.clear();
  }

  push(frames: readonly Frame[]): LinesOut {
    const out: LinesOut = { lines: [], parseErrors: 0 };
    for (const f of frames) {
      if (f.stream === 'stdin' || !this.streams.has(f.stream)) continue;
      const sp = f.payload.indexOf(0x20);
      const ts = sp > 0 && sp <= 40 ? normalizeTs(f.payload.toString('latin1', 0, sp)) : null;
      if (!ts) {
        out.parseErrors++;
        continue;
      }
      const p = this.partial.get(f.stream) ?? { text: '', parts: 0, decoder: new StringDecoder('utf8') };
      const complete = f.payload[f.payload.length - 1] === 0x0a;
      const body = f.payload.subarray(sp + 1, complete ? f.payload.length - 1 : f.payload.length);
      p.text += p.decoder.write(body);
      p.parts++;
      if (!complete) {
        this.partial.set(f.stream, p);
        continue;
      }
      out.lines.push({ stream: f.stream, ts, text: p.text + p.decoder.end(), parts: p.parts });
      this.partial.delete(f.stream);
    }
    return out;
  }
}
