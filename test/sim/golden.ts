/** Reading ../shared/vpp-golden recordings in place, and the bindings' view of their frames. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findMessage, type MessageDef } from 'vpp-api-ts';
import { Reader } from 'vpp-api-ts/runtime';
import { agentMessagesByName, agentMessagesByNameCrc } from '../../src/client/agent-modules';
import { sharedDir } from '../../src/util/paths';

export interface GoldenFrame {
  seq: number;
  dir: 'client->vpp' | 'vpp->client';
  msg_id: number;
  msg: string;
  hex: string;
  fields: Record<string, unknown>;
}

export const goldenDir = join(sharedDir(), 'vpp-golden');
export const haveGolden = existsSync(join(goldenDir, 'basic.jsonl')) && existsSync(join(goldenDir, 'handshake.jsonl'));

export function readGolden(name: string): GoldenFrame[] {
  return readFileSync(join(goldenDir, name), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as GoldenFrame);
}

/** name_crc -> definition from the generated bindings. */
export function defByNameCrc(nameCrc: string): MessageDef | undefined {
  // The agent's modules first: finding any other loads all 151.
  return agentMessagesByNameCrc.get(nameCrc) ?? findMessage(nameCrc);
}

export function defByName(name: string): MessageDef {
  const d = agentMessagesByName.get(name) ?? findMessage(name);
  if (!d) throw new Error(`bindings lack ${name}`);
  return d;
}

export function decodeBody(def: MessageDef, body: Buffer): Record<string, unknown> {
  return def.decode(new Reader(body, 0, body.length)) as Record<string, unknown>;
}

/** Byte arrays as hex, so that values compare and print plainly. */
export function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}
