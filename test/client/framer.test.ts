import fc from 'fast-check';
import { Framer, encodeFrame, HEADER_BYTES } from '../../src/client/framer';
import { VppProtocolError } from '../../src/client/errors';

/** Frames of varied sizes with recognisable bodies: id = index & 0xffff, then index-derived bytes. */
function makeFrames(count: number, maxExtra = 300): Buffer[] {
  const frames: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const body = Buffer.alloc(2 + ((i * 37) % maxExtra));
    body.writeUInt16BE(i & 0xffff, 0);
    for (let j = 2; j < body.length; j++) body[j] = (i + j) & 0xff;
    const frame = encodeFrame(body);
    // VPP may put a pointer in the first 8 header bytes: the framer must ignore them.
    frame.writeUInt32BE(0xdeadbeef, 0);
    frame.writeUInt32BE(i, 12);
    frames.push(frame);
  }
  return frames;
}

function collect(framer: Framer, chunks: Iterable<Buffer>): { bodies: string[]; error?: VppProtocolError } {
  const bodies: string[] = [];
  for (const chunk of chunks) {
    const error = framer.push(chunk, (buf, start, end) => bodies.push(buf.toString('hex', start, end)));
    if (error) return { bodies, error };
  }
  return { bodies };
}

describe('Framer', () => {
  // Small bodies (2..61 bytes) keep 10,000 frames at ~400 KB, so feeding them bytewise stays quick.
  const frames = makeFrames(10_000, 60);
  const whole = Buffer.concat(frames);
  const expected = frames.map((f) => f.subarray(HEADER_BYTES).toString('hex'));

  it('decodes 10,000 frames fed one byte at a time exactly as fed whole', () => {
    const all = collect(new Framer(), [whole]);
    expect(all.error).toBeUndefined();
    expect(all.bodies).toEqual(expected);

    function* bytes(): Generator<Buffer> {
      for (let i = 0; i < whole.length; i++) yield whole.subarray(i, i + 1);
    }
    const framer = new Framer();
    const single = collect(framer, bytes());
    expect(single.error).toBeUndefined();
    expect(single.bodies).toEqual(expected);
    expect(framer.buffered).toBe(0);
  });

  it('decodes the same for any split of the stream', () => {
    const sample = Buffer.concat(frames.slice(0, 200));
    const want = expected.slice(0, 200);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: sample.length }), { maxLength: 60 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let prev = 0;
        for (const p of [...points, sample.length]) {
          chunks.push(sample.subarray(prev, p));
          prev = p;
        }
        const got = collect(new Framer(), chunks);
        return got.error === undefined && JSON.stringify(got.bodies) === JSON.stringify(want);
      }),
      { numRuns: 200 },
    );
  });

  it('hands a frame out only when complete, and a large split frame arrives intact', () => {
    const body = Buffer.alloc(200_000, 7);
    body.writeUInt16BE(16, 0);
    const frame = encodeFrame(body);
    const framer = new Framer();
    const seen: Buffer[] = [];
    for (let i = 0; i < frame.length; i += 4096) {
      expect(seen).toHaveLength(0);
      framer.push(frame.subarray(i, i + 4096), (b, s, e) => seen.push(Buffer.from(b.subarray(s, e))));
    }
    expect(seen).toHaveLength(1);
    expect(seen[0]!.equals(body)).toBe(true);
  });

  it('rejects a length over maxFrameBytes without buffering it, and stays failed', () => {
    const framer = new Framer(1024);
    const header = Buffer.alloc(16);
    header.writeUInt32BE(1025, 8);
    const err = framer.push(header, () => {
      throw new Error('no frame expected');
    });
    expect(err).toBeInstanceOf(VppProtocolError);
    expect(err!.message).toMatch(/1025 bytes, over maxFrameBytes 1024/);
    expect(framer.push(Buffer.alloc(10), () => undefined)).toBe(err);
    framer.reset();
    expect(collect(framer, [frames[1]!]).bodies).toEqual([expected[1]]);
  });

  it('rejects a body too short to hold a message id, even split across reads', () => {
    const bad = Buffer.alloc(17);
    bad.writeUInt32BE(1, 8);
    const framer = new Framer();
    expect(framer.push(bad.subarray(0, 9), () => undefined)).toBeUndefined();
    expect(framer.push(bad.subarray(9), () => undefined)?.message).toMatch(/too short for a message id/);
  });

  it('never throws on random byte streams and never holds more than one bounded frame', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 30 }), (chunks) => {
        const framer = new Framer(4096);
        for (const c of chunks) {
          const err = framer.push(Buffer.from(c), () => undefined);
          if (err) return err instanceof VppProtocolError;
          if (framer.buffered > 4096 + HEADER_BYTES) return false;
        }
        return true;
      }),
      { numRuns: 2000 },
    );
  });
});
