// The body of dockerd's `GET /containers/{id}/logs` as frames. A container without a TTY gets Docker's
// multiplexed stream: each log message is one frame behind an 8-byte header (stream byte, three zero
// bytes, payload length as uint32 big-endian). Socket reads cut anywhere, so a header or payload may
// span chunks and one chunk may hold many frames. A TTY container gets the raw stream instead: one
// stream of "<timestamp> <message>\n" messages with no headers, all of it stdout.

export type DockerStream = 'stdin' | 'stdout' | 'stderr';

export interface Frame {
  stream: DockerStream;
  /** A view into the chunk it came from: consume it before the next push. */
  payload: Buffer;
}

export interface FrameReader {
  push(chunk: Buffer): Frame[];
  /** Bytes held back waiting for the rest of a frame. */
  readonly pending: number;
}

export class FrameError extends Error {
  override readonly name = 'FrameError';
}

const HEADER = 8;
const STREAMS: readonly DockerStream[] = ['stdin', 'stdout', 'stderr'];
/**
 * json-file stores at most 16 KiB of a line per message, so a real frame is a little over that. A
 * header claiming megabytes means the stream is not what we think (a TTY stream read as multiplexed):
 * failing fast beats buffering up to 4 GiB waiting for a frame that never ends.
 */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

/**
 * What both decoders share: bytes held back between socket reads. A subclass says how many leading bytes of
 * the joined data make whole frames; the rest waits for the next chunk.
 */
abstract class Reassembler implements FrameReader {
  private rest: Buffer = Buffer.alloc(0);

  get pending(): number {
    return this.rest.length;
  }

  push(chunk: Buffer): Frame[] {
    const data = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    const frames: Frame[] = [];
    const off = this.cut(data, frames);
    // Copied so that a short remainder does not keep a whole large chunk alive.
    this.rest = Buffer.from(data.subarray(off));
    return frames;
  }

  /** Appends the whole frames at the start of `data` to `frames`; returns the offset where they end. */
  protected abstract cut(data: Buffer, frames: Frame[]): number;
}

export class MultiplexDecoder extends Reassembler {
  protected cut(data: Buffer, frames: Frame[]): number {
    let off = 0;
    while (data.length - off >= HEADER) {
      const kind = data[off]!;
      if (kind > 2 || data[off + 1] !== 0 || data[off + 2] !== 0 || data[off + 3] !== 0) {
        throw new FrameError(`not a multiplexed log stream: header bytes ${data.subarray(off, off + 4).toString('hex')} at offset ${off}`);
      }
      const size = data.readUInt32BE(off + 4);
      if (size > MAX_FRAME_BYTES) throw new FrameError(`frame of ${size} bytes exceeds ${MAX_FRAME_BYTES}`);
      if (data.length - off - HEADER < size) break;
      frames.push({ stream: STREAMS[kind]!, payload: data.subarray(off + HEADER, off + HEADER + size) });
      off += HEADER + size;
    }
    return off;
  }
}

export class RawDecoder extends Reassembler {
  protected cut(data: Buffer, frames: Frame[]): number {
    let off = 0;
    for (let nl = data.indexOf(0x0a, off); nl >= 0; nl = data.indexOf(0x0a, off)) {
      frames.push({ stream: 'stdout', payload: data.subarray(off, nl + 1) });
      off = nl + 1;
    }
    if (data.length - off > MAX_FRAME_BYTES) throw new FrameError(`raw log line over ${MAX_FRAME_BYTES} bytes without a newline`);
    return off;
  }
}

/**
 * Which decoder a response needs. API 1.42+ (Docker 23+) says so in the content type; older daemons send
 * `raw-stream` for both kinds, and the multiplexed one is what every non-TTY container (every pod
 * container unless it asks for `tty: true`) gets.
 */
export function frameReaderFor(contentType: string | undefined, apiVersion: string | undefined): FrameReader {
  const raw = (contentType ?? '').includes('application/vnd.docker.raw-stream') && versionAtLeast(apiVersion, 1, 42);
  return raw ? new RawDecoder() : new MultiplexDecoder();
}

function versionAtLeast(v: string | undefined, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(v ?? '');
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}
