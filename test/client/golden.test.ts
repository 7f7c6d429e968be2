/**
 * Golden replay: a scripted server plays VPP's side of recordings made against a real VPP; the client
 * makes the same calls and must send the recorded bytes (context and client_index normalised) and
 * return the recorded replies, errors and events.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { type MessageDef } from 'vpp-api-ts';
import * as wireguard from 'vpp-api-ts/wireguard';
import { agentMessagesByNameCrc } from '../../src/client/agent-modules';
import { VppApiError, VppClient, vppErrorName } from '../../src/client';
import { sharedDir } from '../../src/util/paths';
import { ReplayServer, readGolden, type GoldenRecord } from '../support/scripted-server';

const golden = join(sharedDir(), 'vpp-golden');
const haveShared = existsSync(join(golden, 'basic.jsonl'));
const describeShared = haveShared ? describe : describe.skip;
if (!haveShared) console.log(`SKIPPED golden replay: ${golden} is missing (needs ../shared beside the repository)`);

/** Recorded vpp_papi fields → our encode input: bytes from {hex}, no message id / context / client_index. */
function toInput(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (k === '_0' || k === 'context' || k === 'client_index') continue;
    out[k] = fromRecorded(v);
  }
  return out;
}
function fromRecorded(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromRecorded);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.hex === 'string' && Object.keys(o).length === 1) return Uint8Array.from(Buffer.from(o.hex, 'hex'));
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, fromRecorded(x)]));
  }
  return v;
}

/**
 * vpp_papi prints prefixes as networks (host bits masked) while the bytes keep them, and our codec
 * keeps what the bytes say: compare prefixes masked on both sides.
 */
function maskPrefix(s: string): string {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(s);
  if (!m) return s;
  const len = Number(m[2]);
  const n = m[1]!.split('.').reduce((a, o) => (a << 8) | Number(o), 0) >>> 0;
  const masked = len === 0 ? 0 : (n & (0xffffffff << (32 - len))) >>> 0;
  return `${[24, 16, 8, 0].map((sh) => (masked >>> sh) & 0xff).join('.')}/${len}`;
}

/** Our decoded value in the recording's shape: bytes as {hex}, bigint as number, no context. */
function toRecordedShape(v: unknown): unknown {
  if (typeof v === 'string') return maskPrefix(v);
  if (v instanceof Uint8Array) return { hex: Buffer.from(v).toString('hex') };
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(toRecordedShape);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([k]) => k !== 'context')
        .map(([k, x]) => [k, toRecordedShape(x)]),
    );
  }
  return v;
}

/** The recorded fields without what is per-connection or absent from our value types (VLA counts). */
function expectedShape(def: MessageDef, fields: Record<string, unknown>): unknown {
  const counts = new Set<string>();
  const collect = (d: MessageDef): void => d.fields.forEach((f) => f.lengthField && counts.add(f.lengthField));
  collect(def);
  const strip = (v: unknown): unknown => {
    if (typeof v === 'string') return maskPrefix(v);
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object' && !('hex' in (v as object))) {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>)
          .filter(([k]) => k !== '_0' && k !== 'context' && !counts.has(k) && !/^n_(allowed_ips|paths)$/.test(k))
          .map(([k, x]) => [k, strip(x)]),
      );
    }
    return v;
  };
  return strip(fields);
}

interface Step {
  request: GoldenRecord;
  /** Records VPP sent in answer, in order (events, details, reply). */
  answers: GoldenRecord[];
  dump: boolean;
}

/** Group a recording into the calls the client makes (handshake, dump pings and the goodbye excluded). */
function steps(records: GoldenRecord[]): Step[] {
  const out: Step[] = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.dir !== 'client->vpp' || r.msg_id === 15 || r.msg.startsWith('sockclnt_delete_')) continue;
    const prev = out.at(-1);
    if (r.msg.startsWith('control_ping_') && prev && prev.request.fields.context === r.fields.context) {
      prev.dump = true;
      continue;
    }
    const answers: GoldenRecord[] = [];
    for (let j = i + 1; j < records.length; j++) {
      const a = records[j]!;
      if (a.dir === 'vpp->client') answers.push(a);
      else if (!a.msg.startsWith('control_ping_') || a.fields.context !== r.fields.context) break;
    }
    out.push({ request: r, answers, dump: false });
  }
  return out;
}

function keyMaterial(): string[] {
  const secrets: string[] = [];
  for (const line of readFileSync(join(golden, 'test-keys.txt'), 'utf8').split('\n')) {
    const m = /^key\d+\s+(\S+)/.exec(line);
    if (m) secrets.push(m[1]!, Buffer.from(m[1]!, 'base64').toString('hex'));
  }
  // The preshared key given to wireguard_peer_add_v2 in basic.jsonl.
  for (const r of readGolden(join(golden, 'basic.jsonl'))) {
    const psk = ((r.fields.peer as Record<string, unknown> | undefined)?.preshared_key as { hex?: string } | undefined)
      ?.hex;
    if (r.dir === 'client->vpp' && psk) secrets.push(psk, Buffer.from(psk, 'hex').toString('base64'));
  }
  return secrets;
}

async function replay(file: string, clientName: string) {
  const records = readGolden(join(golden, file));
  const server = await ReplayServer.start(records);
  const debugLines: string[] = [];
  const client = await VppClient.connect({
    socketPath: server.socketPath,
    clientName,
    traceSize: 1000,
    reconnect: false,
    debug: (l) => debugLines.push(l),
  });
  const order: string[] = [];
  const events: unknown[] = [];
  client.subscribe(wireguard.wireguard_peer_event, (e) => {
    events.push(e);
    order.push('event');
  });
  const outcomes: { step: Step; got: unknown; error?: unknown }[] = [];
  for (const step of steps(records)) {
    const def = agentMessagesByNameCrc.get(step.request.msg);
    if (!def) throw new Error(`no generated binding for ${step.request.msg}`);
    const input = toInput(step.request.fields);
    try {
      const got = step.dump ? await client.dump(def as never, input) : await client.call(def as never, input);
      order.push(step.request.msg);
      outcomes.push({ step, got });
    } catch (error) {
      order.push(step.request.msg);
      outcomes.push({ step, got: undefined, error });
    }
  }
  await client.close();
  await server.stop();
  return { server, client, outcomes, events, order, debugLines, records };
}

describeShared('golden replay against recordings of a real VPP', () => {
  it.each([
    ['basic.jsonl', 'golden'],
    ['handshake.jsonl', 'golden-hs'],
  ])('%s: identical request bytes, recorded replies and errors', async (file, name) => {
    const { server, outcomes } = await replay(file, name);
    expect(server.mismatches).toEqual([]);
    expect(server.remaining).toEqual([]);
    expect(server.done).toBe(true);
    for (const { step, got, error } of outcomes) {
      const def = agentMessagesByNameCrc.get(step.request.msg)!;
      if (step.dump) {
        const details = step.answers.filter(
          (a) =>
            !a.msg.startsWith('control_ping_reply_') &&
            a.msg !== undefined &&
            !a.msg.startsWith('wireguard_peer_event_'),
        );
        expect({ msg: step.request.msg, error }).toEqual({ msg: step.request.msg, error: undefined });
        expect(toRecordedShape(got)).toEqual(details.map((d) => expectedShape(def.detailsDef!, d.fields)));
        continue;
      }
      const reply = step.answers.find((a) => a.msg === def.replyDef!.nameCrc)!;
      const retval = reply.fields.retval as number;
      if (retval !== 0) {
        expect(error).toBeInstanceOf(VppApiError);
        expect(error).toMatchObject({ msgName: def.name, retval, errorName: vppErrorName(retval) });
        expect(vppErrorName(retval)).not.toBe('UNKNOWN');
      } else {
        expect({ msg: step.request.msg, error }).toEqual({ msg: step.request.msg, error: undefined });
        expect(toRecordedShape(got)).toEqual(expectedShape(def.replyDef!, reply.fields));
      }
    }
    // The recorded errors are all exercised.
    const errors = outcomes
      .filter((o) => o.error)
      .map((o) => `${o.step.request.msg.replace(/_[0-9a-f]{8}$/, '')} ${(o.error as VppApiError).retval}`);
    if (file === 'basic.jsonl') {
      expect(errors).toEqual([
        'sw_interface_set_flags -2',
        'wireguard_interface_create -31',
        'sw_interface_set_table -3',
        'wireguard_peer_add -116',
        'wireguard_peer_add -7',
        'wireguard_peer_add -2',
        'ip_route_add_del -3',
        'wireguard_peer_remove -6',
        'wireguard_interface_delete -2',
      ]);
    }
  });

  it('handshake.jsonl: events arrive as recorded, before the reply of the call that caused them', async () => {
    const { events, order, records } = await replay('handshake.jsonl', 'golden-hs');
    const recorded = records.filter((r) => r.msg.startsWith('wireguard_peer_event_')).map((r) => toInput(r.fields));
    expect(events.map((e) => toRecordedShape(e))).toEqual(recorded.map((f) => ({ client_index: 0, ...f })));
    expect(recorded.map((f) => f.flags)).toEqual([2, 0, 1]);
    const removeAt = order.findIndex((o) => o.startsWith('wireguard_peer_remove_'));
    expect(order.slice(removeAt - 2, removeAt + 1)).toEqual(['event', 'event', order[removeAt]]);
    // The unprompted ESTABLISHED event (sent after the route add's reply) is seen before the peers dump returns.
    const dumpAt = order.findIndex((o) => o.startsWith('wireguard_peers_dump_'));
    expect(order.indexOf('event')).toBeLessThan(dumpAt);
    expect(order.indexOf('event')).toBeGreaterThan(order.findIndex((o) => o.startsWith('want_wireguard_peer_events_')));
  });

  it('no trace, debug line, error or report carries key material', async () => {
    const secrets = keyMaterial();
    expect(secrets.length).toBeGreaterThanOrEqual(14);
    for (const file of ['basic.jsonl', 'handshake.jsonl']) {
      const { client, outcomes, debugLines } = await replay(file, 'golden');
      expect(debugLines.some((l) => l.includes('private_key') && l.includes('[redacted]'))).toBe(true);
      const printed = [
        JSON.stringify(client.trace()),
        inspect(client.trace(), { depth: 10 }),
        JSON.stringify(client.compatibility),
        ...debugLines,
        ...outcomes
          .filter((o) => o.error)
          .flatMap((o) => [String(o.error), (o.error as Error).stack ?? '', inspect(o.error, { depth: 10 })]),
      ].join('\n');
      for (const s of secrets) expect(printed.includes(s)).toBe(false);
    }
  });
});
