/**
 * Real recordings: every frame whose message our bindings know decodes to what vpp_papi decoded, and
 * re-encoding the decoded value gives the recorded body byte for byte.
 */
import { join } from 'node:path';
import { findMessage } from 'vpp-api-ts';
import { Reader, Writer } from 'vpp-api-ts/runtime';
import { Program, findApiFiles, loadApiFiles } from 'vppwg-codegen';
import { projectRoot } from '../../src/util/paths';
import { goldenFrames, maskLike, normalise, recordedWithoutCounts } from './helpers';

const { files, frames } = goldenFrames();
// Count fields (omitted from our decoded values by design), from every message and type of api-defs.
const countNames = new Set<string>();
const defs = loadApiFiles(findApiFiles(join(projectRoot(), 'api-defs')));
const program = new Program(defs);
for (const f of defs) {
  const infos = [
    ...f.messages.map((m) => program.messageInfo(f.module, m)),
    ...[...f.types, ...f.unions].map((t) => program.structInfo(program.homeOf(f.module, t.name), t.name)),
  ];
  for (const info of infos) for (const fl of info.fields) if (fl.counts.length > 0) countNames.add(fl.def.name);
}

const known = frames.filter((f) => findMessage(f.msg) !== undefined);

if (files.length === 0) {
  test.skip('golden recordings: ../shared/vpp-golden/*.jsonl absent', () => undefined);
} else {
  test('the bindings know most recorded messages', () => {
    const unknown = [...new Set(frames.filter((f) => findMessage(f.msg) === undefined).map((f) => f.msg))];
    // sockclnt_create_reply carries the table only; everything the agent sends or receives must be known.
    expect(unknown).toEqual([]);
  });

  describe.each(known.map((f) => [`${f.file}#${f.seq} ${f.msg}`, f] as const))('%s', (_name, frame) => {
    const def = findMessage(frame.msg)!;
    const body = Buffer.from(frame.hex, 'hex').subarray(16);

    test('decodes to the recorded fields', () => {
      const r = new Reader(body);
      const v = def.decode(r);
      const ours = normalise(v) as Record<string, unknown>;
      const rec = recordedWithoutCounts(frame.fields, ours, countNames) as Record<string, unknown>;
      // The recorder elides the 868-entry message table of sockclnt_create_reply; check its size.
      const elided = typeof rec.message_table === 'string' ? /^\((\d+) entries/.exec(rec.message_table) : null;
      if (elided) {
        expect((ours.message_table as unknown[]).length).toBe(Number(elided[1]));
        rec.message_table = ours.message_table;
      }
      // vpp_papi masks host bits of decoded prefixes; we keep the bytes as sent (so re-encoding is exact).
      expect(maskLike(ours, rec)).toEqual(rec);
      expect(r.off).toBe(body.length);
    });

    test('re-encodes to the recorded bytes', () => {
      const v = def.decode(new Reader(body));
      const w = new Writer(16);
      def.encode(w, frame.msg_id, v);
      expect(w.toBuffer().toString('hex')).toBe(body.toString('hex'));
      expect(def.size(v)).toBe(body.length);
    });
  });
}
