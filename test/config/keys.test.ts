/**
 * genkey / genpsk / pubkey are interchangeable with `wg genkey` / `wg genpsk` / `wg pubkey`: the
 * public keys of the recorded test keys (made by real WireGuard tools) come out identical.
 */
import { existsSync, readFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerKeyCommands, runGenkey, runGenpsk, runPubkey } from '../../src/cli/commands/keys';
import { decodeKey, encodeKey, ownerTag, publicKeyOf } from '../../src/config';
import { sharedDir } from '../../src/util/paths';

const testKeysPath = join(sharedDir(), 'vpp-golden', 'test-keys.txt');
const haveTestKeys = existsSync(testKeysPath);
if (!haveTestKeys) console.warn(`skipping "pubkey derives the recorded public keys": ${testKeysPath} is absent`);

describe('keys', () => {
  (haveTestKeys ? test : test.skip)(
    'pubkey derives the recorded public keys of ../shared/vpp-golden/test-keys.txt',
    () => {
      const rows = readFileSync(testKeysPath, 'utf8')
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => f.length >= 4);
      expect(rows.length).toBeGreaterThan(0);
      for (const [, priv, , pub] of rows) {
        const r = runPubkey(priv + '\n');
        expect(r).toEqual({ stdout: pub + '\n', stderr: '', code: 0 });
      }
    },
  );

  test('genkey prints a clamped 32-byte key whose public key node:crypto agrees with', () => {
    for (let i = 0; i < 20; i++) {
      const r = runGenkey();
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
      const key = decodeKey(r.stdout)!;
      expect(key[0]! & 7).toBe(0);
      expect(key[31]! & 0xc0).toBe(0x40);
      const pub = runPubkey(r.stdout);
      expect(decodeKey(pub.stdout)).toEqual(publicKeyOf(key));
    }
  });

  test("publicKeyOf matches node's own X25519 key pairs", () => {
    for (let i = 0; i < 10; i++) {
      const { privateKey, publicKey } = generateKeyPairSync('x25519');
      const d = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url');
      const x = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
      expect(encodeKey(publicKeyOf(new Uint8Array(d)))).toBe(x.toString('base64'));
    }
  });

  test('publicKeyOf asked again for a key gives the same answer, whatever the caller did with the first', () => {
    const pairs = Array.from({ length: 5 }, () => generateKeyPairSync('x25519')).map(({ privateKey, publicKey }) => ({
      priv: new Uint8Array(Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url')),
      pub: Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('base64'),
    }));
    for (const p of pairs) publicKeyOf(p.priv).fill(0);
    for (const p of [...pairs].reverse()) expect(encodeKey(publicKeyOf(p.priv))).toBe(p.pub);
  });

  test('genpsk prints 32 random bytes', () => {
    const a = runGenpsk();
    const b = runGenpsk();
    expect(decodeKey(a.stdout)).toHaveLength(32);
    expect(a.stdout).not.toBe(b.stdout);
  });

  test.each([
    ['empty input', ''],
    ['too short', 'c2hvcnQ=\n'],
    ['not base64', '!'.repeat(43) + '=\n'],
    ['44 characters but bits past 32 bytes set', 'A'.repeat(42) + 'B=\n'],
    ['two keys', 'yLPy0oXiFow/ZVqJnt+CZ2Fb0L0RCVK3omr5EPdv2FQ= yLPy0oXiFow/ZVqJnt+CZ2Fb0L0RCVK3omr5EPdv2FQ=\n'],
  ])('pubkey refuses %s with exit 1 and says what to give', (_name, input) => {
    const r = runPubkey(input);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^vppwg: Key is not the correct length or format: pipe one base64 private key/);
    if (input.length > 10) expect(r.stderr).not.toContain(input.trim());
  });

  test('ownerTag is vppwg:<name>', () => {
    expect(ownerTag('wg-branches')).toBe('vppwg:wg-branches');
  });
});

describe('the CLI wiring', () => {
  test('`vppwg genkey` and `vppwg genpsk` print one key each and exit 0', async () => {
    for (const command of ['genkey', 'genpsk']) {
      const written: string[] = [];
      const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
      try {
        const exit = { code: -1 };
        const program = new Command().exitOverride();
        registerKeyCommands(program, exit);
        await program.parseAsync(['node', 'vppwg', command]);
        expect(exit.code).toBe(0);
      } finally {
        spy.mockRestore();
      }
      expect(written.join('')).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    }
  });
});
