/**
 * The API bearer token: read from a file, generated into a new 0600 file at first start.
 * The token itself is never logged; only the file's path is.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where the token lives unless --token-file says otherwise (systemd's StateDirectory when set). */
export function defaultTokenFile(): string {
  if (process.env.VPPWG_TOKEN_FILE) return process.env.VPPWG_TOKEN_FILE;
  const state = process.env.STATE_DIRECTORY?.split(':')[0];
  return join(state || '/var/lib/vppwg', 'api.token');
}

export interface LoadedToken {
  token: string;
  file: string;
  created: boolean;
  /** A warning for the log (e.g. the file is readable by others). */
  warning?: string;
}

/** Reads the token, or creates the file (and its directory, 0700) with a fresh random token. */
export function loadOrCreateToken(file: string): LoadedToken {
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(
        `cannot read the API token file ${file}: ${(err as Error).message}; fix its permissions or pass --token-file`,
      );
    }
  }
  if (text !== undefined) {
    const token = text.trim();
    if (token.length < 16) {
      throw new Error(
        `API token file ${file} holds ${token.length} characters; put at least 16 random characters in it, or delete it to have one generated`,
      );
    }
    const mode = statSync(file).mode & 0o777;
    const warning =
      mode & 0o077
        ? `API token file ${file} is accessible by group or others (mode ${mode.toString(8)}); run chmod 600 ${file}`
        : undefined;
    return { token, file, created: false, warning };
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  // 'wx' fails if another process created it meanwhile: then read theirs.
  try {
    writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateToken(file);
    throw new Error(
      `cannot create the API token file ${file}: ${(err as Error).message}; pass --token-file with a writable path`,
    );
  }
  return { token, file, created: true };
}

/** Reads an existing token (clients); never creates one. */
export function readToken(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(
      `cannot read the API token from ${file}: ${(err as Error).message}; pass --token-file (the daemon writes the token there at first start)`,
    );
  }
  return text.trim();
}

/** Constant-time check of an `Authorization` header against the token. */
export function authorizationMatches(header: string | undefined, token: string): boolean {
  if (!header) return false;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}
