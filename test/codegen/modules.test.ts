/**
 * Every module of the committed vpp-api-ts bindings, imported as a user would (`vpp-api-ts/<module>`):
 * it exports every message its definition states, and each message round-trips: a generated value
 * encodes, decodes, and the decoded value encodes to the same bytes and decodes to itself.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { Program, findApiFiles, loadApiFiles } from 'vppwg-codegen';
import { moduleNames, type MessageDef, type ModuleInfo } from 'vpp-api-ts';
import { Reader, Writer } from 'vpp-api-ts/runtime';
import { projectRoot } from '../../src/util/paths';
import { arbStruct } from './whole-api';

const files = loadApiFiles(findApiFiles(join(projectRoot(), 'api-defs')));
const prog = new Program(files);
const byModule = new Map(files.map((f) => [f.module, f]));

/** The decoded value of `bytes`, checking that decoding consumed exactly them. */
function decodeAll(def: MessageDef, bytes: Buffer): unknown {
  const r = new Reader(bytes);
  const v = def.decode(r);
  if (r.off !== bytes.length) throw new Error(`decode consumed ${r.off} of ${bytes.length} bytes`);
  return v;
}

function encode(def: MessageDef, v: unknown): Buffer {
  const w = new Writer(64);
  def.encode(w, 0x1234, v);
  const bytes = w.toBuffer();
  if (def.size(v) !== bytes.length) throw new Error(`size() says ${def.size(v)}, encoded ${bytes.length}`);
  return bytes;
}

test('the bindings hold every module of api-defs', () => {
  expect([...moduleNames]).toEqual(files.map((f) => f.module).sort());
});

describe.each([...moduleNames])('vpp-api-ts/%s', (name) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = () => require(`vpp-api-ts/${name}`) as { moduleInfo: ModuleInfo } & Record<string, unknown>;
  const file = byModule.get(name)!;

  test('exports each message of its definition, by VPP name', () => {
    const mod = load();
    expect(mod.moduleInfo.name).toBe(name);
    expect(mod.moduleInfo.messages.map((d) => d.nameCrc)).toEqual(
      file.messages.map((m) => `${m.name}_${m.crc.replace(/^0x/, '')}`),
    );
    for (const d of mod.moduleInfo.messages) expect(mod[d.name]).toBe(d);
  });

  const messages = file.messages;
  if (messages.length === 0) return; // a types-only module: its types round-trip inside the messages using them
  test(`its ${messages.length} messages round-trip encode -> decode -> encode`, () => {
    const defs = new Map(load().moduleInfo.messages.map((d) => [d.name, d]));
    for (const m of messages) {
      const def = defs.get(m.name)!;
      fc.assert(
        fc.property(arbStruct(prog.messageInfo(name, m)), (v) => {
          const first = encode(def, v);
          const decoded = decodeAll(def, first);
          const again = encode(def, decoded);
          expect(again.equals(first)).toBe(true);
          expect(decodeAll(def, again)).toEqual(decoded);
        }),
        { numRuns: 8, seed: 16 },
      );
    }
  });
});
