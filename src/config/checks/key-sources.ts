/** Key sources {file}, {env}, {inline} (or 'generate' for a private key), resolved to SecretKeys. */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { makeSecretKey } from '../../util/secrets';
import type { Findings } from '../findings';
import { decodeKey } from '../keys';
import type { DataPath } from '../locate';
import type { SecretKey } from '../model';
import type { KeyContext } from './context';
import { isObj } from './values';

export const KEY_FORMAT_HINT =
  "expected 32 bytes in base64 (44 characters ending in '='), as `vppwg genkey` or `wg genkey` prints";

export function resolvePrivateKey(
  f: Findings,
  path: DataPath,
  raw: unknown,
  ctx: KeyContext,
): SecretKey | 'generate' | undefined {
  if (raw === 'generate') return 'generate';
  if (!isObj(raw)) return undefined;
  return resolveKey(f, path, raw, ctx, 'private key');
}

/** A key from {file}, {env} or {inline}; never echoes key material in a message. */
export function resolveKey(
  f: Findings,
  path: DataPath,
  raw: unknown,
  ctx: KeyContext,
  what: string,
): SecretKey | undefined {
  if (!isObj(raw) || f.badWithin(path) || Object.keys(raw).length !== 1) return undefined;
  if (typeof raw.inline === 'string') {
    const p = [...path, 'inline'];
    f.warn(
      p,
      `${what} is written inline: anyone who can read this file has it; use {file: PATH} (mode 600) or {env: VARIABLE}`,
    );
    const bytes = decodeKey(raw.inline);
    if (!bytes) {
      f.error(p, `inline ${what} is not a WireGuard key: ${KEY_FORMAT_HINT}`);
      return undefined;
    }
    return makeSecretKey(bytes, 'inline');
  }
  if (typeof raw.env === 'string') {
    const p = [...path, 'env'];
    const value = ctx.env[raw.env];
    if (value === undefined || value === '') {
      f.error(
        p,
        `environment variable ${raw.env} (${what}) is not set: export it with the base64 key before running vppwg`,
      );
      return undefined;
    }
    const bytes = decodeKey(value);
    if (!bytes) {
      f.error(p, `environment variable ${raw.env} does not hold a WireGuard ${what}: ${KEY_FORMAT_HINT}`);
      return undefined;
    }
    return makeSecretKey(bytes, `env ${raw.env}`);
  }
  if (typeof raw.file === 'string') {
    const p = [...path, 'file'];
    const full = isAbsolute(raw.file) ? raw.file : resolve(ctx.baseDir, raw.file);
    let text: string;
    try {
      const st = statSync(full);
      // As `wg` does: a key others can read is no longer private.
      if (st.isFile() && (st.mode & 0o077) !== 0) {
        const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
        const scope = st.mode & 0o007 ? 'world' : 'group';
        f.warn(
          p,
          `\`${full}' is ${scope} accessible (mode ${mode}): run chmod 600 ${full} so only its owner can read the ${what}`,
        );
      }
      text = readFileSync(full, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      const why =
        code === 'ENOENT'
          ? 'no such file'
          : code === 'EACCES'
            ? 'permission denied'
            : code === 'EISDIR'
              ? 'it is a directory'
              : code;
      f.error(
        p,
        `cannot read ${what} file \`${full}' (${why}): create it with \`(umask 077; vppwg ${what === 'preshared key' ? 'genpsk' : 'genkey'} > ${full})\` or fix the path`,
      );
      return undefined;
    }
    const bytes = decodeKey(text);
    if (!bytes) {
      f.error(p, `${what} file \`${full}' does not hold a WireGuard key: ${KEY_FORMAT_HINT}`);
      return undefined;
    }
    return makeSecretKey(bytes, `file ${full}`);
  }
  return undefined;
}
