/**
 * Bad desired-state files: each is rejected with its specific message at the exact place, and no
 * state comes out (so nothing can reach VPP). The texts are small on purpose: line numbers in the
 * expectations can be checked by eye against the `lines(...)` blocks.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDesiredState, type Diagnostic } from '../../src/config';
import { PUB, UPLINK, badCases, lines, peer, wg } from './bad-cases';

const tmp = mkdtempSync(join(tmpdir(), 'vppwg-bad-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cases = badCases(tmp);
function errorsOf(diags: Diagnostic[]): Diagnostic[] {
  return diags.filter((d) => d.severity === 'error');
}

describe('bad desired-state files', () => {
  test('there are at least 25 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const file = c.file ?? 'bad.yaml';
    const result = parseDesiredState(c.text, file, { env: {}, baseDir: tmp, ...c.opts });
    expect(result.state).toBeUndefined();
    const errors = errorsOf(result.diagnostics);
    const hit = errors.find((d) =>
      typeof c.message === 'string' ? d.message === c.message : c.message.test(d.message),
    );
    if (!hit)
      throw new Error(
        `expected ${String(c.message)}\ngot:\n${errors.map((d) => `${d.line}:${d.column} ${d.message}`).join('\n')}`,
      );
    expect({ file: hit.file, line: hit.line, column: hit.column }).toEqual({ file, line: c.line, column: c.column });
    expect(errors.length).toBe(1 + (c.otherErrors ?? 0));
  });
});

describe('findings are reported together', () => {
  test('schema and semantic errors of one file come out in one pass, in file order', () => {
    const text = lines(
      UPLINK,
      wg().map((l) => l.replace('51820', '0')),
      peer('a', PUB[0]!, '[10.0.1.0/24]', '        bogus: 1'),
      peer('b', PUB[1]!, '[10.0.0.0/16]'),
    );
    const { state, diagnostics } = parseDesiredState(text, 'multi.yaml', { env: {} });
    expect(state).toBeUndefined();
    expect(errorsOf(diagnostics).map((d) => [d.line, d.column, d.message.slice(0, 30)])).toEqual([
      [7, 18, 'wireguard.0.listen_port is 0, '],
      [13, 9, 'unknown key "bogus" in wiregua'],
      [16, 23, 'allowed IP 10.0.0.0/16 of peer'],
    ]);
  });

  test('a valid file has a state and no errors', () => {
    const { state, diagnostics } = parseDesiredState(
      lines(UPLINK, wg(), peer('a', PUB[0]!, '[10.0.1.0/24]'), peer('b', PUB[1]!, '[10.0.2.0/24]')),
      'ok.yaml',
      { env: {} },
    );
    expect(diagnostics).toEqual([]);
    expect(state?.wireguard[0]?.peers.map((p) => p.name)).toEqual(['a', 'b']);
  });

  test('a route tiled by several allowed IPs is covered; a gap is not', () => {
    const route = (allowed: string) =>
      parseDesiredState(
        lines(
          UPLINK,
          wg(),
          peer(
            'a',
            PUB[0]!,
            allowed,
            '        tunnel_next_hops: [10.0.1.2]',
            '        routes:',
            '          - prefix: 10.20.0.0/16',
          ),
        ),
        't.yaml',
        { env: {} },
      ).diagnostics.map((d) => d.message);
    expect(route('[10.0.1.0/24, 10.20.0.0/17, 10.20.128.0/18, 10.20.192.0/18]')).toEqual([]);
    expect(route('[10.0.1.0/24, 10.20.0.0/17, 10.20.192.0/18]')).toEqual([
      expect.stringMatching(/^route 10\.20\.0\.0\/16 is not inside the allowed IPs/),
    ]);
  });

  test('JSON files report places too', () => {
    const text = JSON.stringify(
      {
        uplinks: [{ name: 'host-eth0', addresses: ['192.0.2.1/24'] }],
        wireguard: [
          {
            name: 'wg0',
            private_key: 'generate',
            listen_port: 51820,
            source: '192.0.2.1',
            peers: [{ name: 'a', public_key: PUB[0], allowed_ips: ['10.0.1.0/33'] }],
          },
        ],
      },
      null,
      2,
    );
    const { state, diagnostics } = parseDesiredState(text, 'state.json', { env: {} });
    expect(state).toBeUndefined();
    const line = text.split('\n').findIndex((l) => l.includes('10.0.1.0/33')) + 1;
    const column = text.split('\n')[line - 1]!.indexOf('"10.0.1.0/33"') + 1;
    expect(errorsOf(diagnostics).map((d) => [d.line, d.column])).toEqual([[line, column]]);
  });
});

describe('key files', () => {
  test('an unreadable file is named; a wrong content is named', () => {
    const path = join(tmp, 'garbage.key');
    writeFileSync(path, 'not a key\n', { mode: 0o600 });
    const text = lines(
      UPLINK,
      wg().map((l) => l.replace('generate', `{ file: ${path} }`)),
      peer('a', PUB[0]!, '[10.0.1.0/24]'),
    );
    const { state, diagnostics } = parseDesiredState(text, 'k.yaml', { env: {} });
    expect(state).toBeUndefined();
    expect(errorsOf(diagnostics).map((d) => d.message)).toEqual([
      `private key file \`${path}' does not hold a WireGuard key: expected 32 bytes in base64 (44 characters ending in '='), as \`vppwg genkey\` or \`wg genkey\` prints`,
    ]);
  });
});
