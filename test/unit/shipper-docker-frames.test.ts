// dockerd's log stream decoding: multiplexed frames cut anywhere by the socket, the raw stream of TTY
// containers, and timestamped lines joined from json-file's 16 KiB parts, per stream.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameError, frameReaderFor, MAX_FRAME_BYTES, MultiplexDecoder, RawDecoder, type Frame } from '../../src/apps/shipper/docker-frames.ts';
import { LineAssembler } from '../../src/apps/shipper/docker-lines.ts';

const KIND = { stdin: 0, stdout: 1, stderr: 2 } as const;

function frame(stream: keyof typeof KIND, payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const h = Buffer.alloc(8);
  h[0] = KIND[stream];
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
}

const show = (frames: Frame[]) => frames.map((f) => `${f.stream}:${f.payload.toString()}`);

describe('multiplexed stream', () => {
  const frames: [keyof typeof KIND, string][] = [
    ['stdout', '2024-05-01T10:00:00.000000001Z one\n'],
    ['stderr', '2024-05-01T10:00:00.000000002Z two\n'],
    ['stdout', ''],
    ['stdout', '2024-05-01T10:00:00.000000003Z ' + 'x'.repeat(300) + '\n'],
  ];
  const wire = Buffer.concat(frames.map(([s, p]) => frame(s, p)));
  const expected = frames.map(([s, p]) => `${s}:${p}`);

  it('decodes many frames from one chunk', () => {
    assert.deepEqual(show(new MultiplexDecoder().push(wire)), expected);
  });

  it('decodes the same frames whatever two points the socket cuts them at (headers and payloads split)', () => {
    for (let a = 0; a <= wire.length; a++) {
      for (let b = a; b <= wire.length; b += 7) {
        const d = new MultiplexDecoder();
        const got = [...d.push(wire.subarray(0, a)), ...d.push(wire.subarray(a, b)), ...d.push(wire.subarray(b))].map((f) => `${f.stream}:${f.payload.toString()}`);
        assert.deepEqual(got, expected, `cut at ${a} and ${b}`);
        assert.equal(d.pending, 0);
      }
    }
  });

  it('decodes byte by byte, holding back what is incomplete', () => {
    const d = new MultiplexDecoder();
    const got: string[] = [];
    for (let i = 0; i < wire.length; i++) {
      got.push(...show(d.push(wire.subarray(i, i + 1))));
      if (i === 3) assert.equal(d.pending, 4, 'half a header waits');
    }
    assert.deepEqual(got, expected);
  });

  it('refuses what is not a multiplexed stream instead of waiting for a frame that never ends', () => {
    assert.throws(() => new MultiplexDecoder().push(Buffer.from('2024-05-01T10:00:00Z hello\n')), FrameError);
    const bad = frame('stdout', 'x');
    bad[2] = 1;
    assert.throws(() => new MultiplexDecoder().push(bad), /header bytes/);
    const huge = Buffer.alloc(8);
    huge[0] = 1;
    huge.writeUInt32BE(MAX_FRAME_BYTES + 1, 4);
    assert.throws(() => new MultiplexDecoder().push(huge), /exceeds/);
  });
});

describe('raw stream (TTY containers)', () => {
  it('cuts at newlines, across chunks, all stdout', () => {
    const d = new RawDecoder();
    const got = [...d.push(Buffer.from('2024-05-01T10:00:00.1Z a\n2024-05-01T10:00')), ...d.push(Buffer.from(':00.2Z b\n'))];
    assert.deepEqual(show(got), ['stdout:2024-05-01T10:00:00.1Z a\n', 'stdout:2024-05-01T10:00:00.2Z b\n']);
    assert.equal(d.pending, 0);
  });

  it('is chosen only when a daemon that says so (API 1.42+) says raw', () => {
    assert.ok(frameReaderFor('application/vnd.docker.raw-stream', '1.45') instanceof RawDecoder);
    assert.ok(frameReaderFor('application/vnd.docker.multiplexed-stream', '1.45') instanceof MultiplexDecoder);
    // Older daemons send raw-stream for both kinds; pod containers without a TTY are multiplexed.
    assert.ok(frameReaderFor('application/vnd.docker.raw-stream', '1.41') instanceof MultiplexDecoder);
    assert.ok(frameReaderFor(undefined, undefined) instanceof MultiplexDecoder);
  });
});

describe('timestamped lines', () => {
  const f = (stream: 'stdout' | 'stderr' | 'stdin', text: string | Buffer): Frame => ({ stream, payload: typeof text === 'string' ? Buffer.from(text) : text });

  it('ships only the selected streams', () => {
    const frames = [f('stdout', '2024-05-01T10:00:00.1Z out\n'), f('stderr', '2024-05-01T10:00:00.2Z err\n'), f('stdin', '2024-05-01T10:00:00.3Z in\n')];
    const both = new LineAssembler(new Set(['stdout', 'stderr'])).push(frames);
    assert.deepEqual(both.lines.map((l) => `${l.stream}:${l.text}`), ['stdout:out', 'stderr:err']);
    const onlyErr = new LineAssembler(new Set(['stderr'])).push(frames);
    assert.deepEqual(onlyErr.lines.map((l) => `${l.stream}:${l.text}`), ['stderr:err']);
    assert.equal(onlyErr.lines[0]!.ts, '2024-05-01T10:00:00.200000000Z');
  });

  it('joins json-file parts per stream, with the timestamp of the part that ends the line, and a character split between parts', () => {
    const euro = Buffer.from('€');
    const frames = [
      f('stdout', Buffer.concat([Buffer.from('2024-05-01T10:00:00.100000000Z long-'), euro.subarray(0, 1)])),
      f('stderr', '2024-05-01T10:00:00.150000000Z between\n'),
      f('stdout', Buffer.concat([Buffer.from('2024-05-01T10:00:00.200000000Z '), euro.subarray(1), Buffer.from('-end\n')])),
    ];
    const a = new LineAssembler(new Set(['stdout', 'stderr']));
    const out = a.push(frames);
    assert.deepEqual(
      out.lines.map((l) => [l.stream, l.text, l.ts, l.parts]),
      [
        ['stderr', 'between', '2024-05-01T10:00:00.150000000Z', 1],
        ['stdout', 'long-€-end', '2024-05-01T10:00:00.200000000Z', 2],
      ],
    );
  });

  it('drops a half-read line on reset (a new connection reads it again from its first part)', () => {
    const a = new LineAssembler(new Set(['stdout']));
    assert.deepEqual(a.push([f('stdout', '2024-05-01T10:00:00.1Z first-half')]).lines, []);
    a.reset();
    const out = a.push([f('stdout', '2024-05-01T10:00:00.1Z first-half'), f('stdout', '2024-05-01T10:00:00.2Z -second\n')]);
    assert.deepEqual(out.lines.map((l) => l.text), ['first-half-second']);
  });

  it('counts frames without a timestamp as parse errors, keeps empty lines', () => {
    const out = new LineAssembler(new Set(['stdout'])).push([f('stdout', 'no timestamp here\n'), f('stdout', '2024-05-01T10:00:00Z \n')]);
    assert.equal(out.parseErrors, 1);
    assert.deepEqual(out.lines.map((l) => l.text), ['']);
  });
});
