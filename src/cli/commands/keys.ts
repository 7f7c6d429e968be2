/**
 * `vppwg genkey`, `vppwg genpsk` and `vppwg pubkey`: drop-in for `wg genkey`, `wg genpsk` and
 * `wg pubkey` (same base64 text, same stdin/stdout use), so keys can move between the two tools.
 * These are the only commands that print key material, because the user asks for exactly that.
 */
import type { Command } from 'commander';
import { fstatSync } from 'node:fs';
import type { ExitCode } from '../exit-code';
import { decodeKey, encodeKey, generatePresharedKey, generatePrivateKey, publicKeyOf } from '../../config/keys';

export interface KeyCommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** `wg genkey`: a fresh clamped private key, base64 and a newline. */
export function runGenkey(): KeyCommandResult {
  const key = generatePrivateKey();
  const out = encodeKey(key) + '\n';
  key.fill(0);
  return { stdout: out, stderr: worldAccessibleWarning(), code: 0 };
}

/** `wg genpsk`: 32 random bytes, base64 and a newline. */
export function runGenpsk(): KeyCommandResult {
  const key = generatePresharedKey();
  const out = encodeKey(key) + '\n';
  key.fill(0);
  return { stdout: out, stderr: worldAccessibleWarning(), code: 0 };
}

/** `wg pubkey`: the public key of the base64 private key read from stdin. */
export function runPubkey(input: string): KeyCommandResult {
  const key = decodeKey(input);
  if (!key) {
    return {
      stdout: '',
      stderr:
        "vppwg: Key is not the correct length or format: pipe one base64 private key (44 characters ending in '=') into stdin, e.g. `vppwg genkey | vppwg pubkey`\n",
      code: 1,
    };
  }
  const out = encodeKey(publicKeyOf(key)) + '\n';
  key.fill(0);
  return { stdout: out, stderr: '', code: 0 };
}

/** As `wg genkey` warns: a private key written to a file others can read. */
function worldAccessibleWarning(): string {
  try {
    const st = fstatSync(1);
    if (st.isFile() && (st.mode & 0o007) !== 0) {
      return 'Warning: writing to world accessible file.\nConsider setting the umask to 077 and trying again.\n';
    }
  } catch {
    // stdout is not a file descriptor we can stat (closed or virtual): nothing to warn about.
  }
  return '';
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    // A key is 44 characters; refuse to buffer unbounded input.
    if (chunks.reduce((n, c) => n + c.length, 0) > 4096) break;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  for (const c of chunks) c.fill(0);
  return text;
}

function emit(result: KeyCommandResult, exit: ExitCode): void {
  if (result.stderr) process.stderr.write(result.stderr);
  if (result.stdout) process.stdout.write(result.stdout);
  exit.code = result.code;
}

/** Registers: genkey, genpsk, pubkey. */
export function registerKeyCommands(program: Command, exit: ExitCode): void {
  program
    .command('genkey')
    .description('print a new WireGuard private key (base64), like `wg genkey`')
    .action(() => emit(runGenkey(), exit));
  program
    .command('genpsk')
    .description('print a new WireGuard preshared key (base64), like `wg genpsk`')
    .action(() => emit(runGenpsk(), exit));
  program
    .command('pubkey')
    .description('read a base64 private key on stdin and print its public key, like `wg pubkey`')
    .action(async () => emit(runPubkey(await readStdin()), exit));
}
