/**
 * vppwg's state directory (`--state-dir`, default /var/lib/vppwg): what must survive restarts of VPP
 * and of vppwg and that the desired-state file does not hold. Keys are kept mode 0600 in a 0700
 * folder and written by rename, so a crash never leaves half a key.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeKey, encodeKey } from '../config/keys';

export const DEFAULT_STATE_DIR = '/var/lib/vppwg';

/** A logical interface name as it may appear in a file name (the file's interface name rules allow no '/'). */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export class StateDirError extends Error {}

export class StateDir {
  constructor(readonly root: string) {}

  /** Where the private key vppwg generated for WireGuard interface `name` is kept. */
  interfaceKeyPath(name: string): string {
    if (!SAFE_NAME.test(name)) throw new StateDirError(`interface name ${JSON.stringify(name)} cannot name a key file`);
    return join(this.root, 'keys', `${name}.key`);
  }

  /** The kept key of interface `name`, or undefined when none was kept; a damaged file is an error naming it. */
  readInterfaceKey(name: string): Uint8Array | undefined {
    const path = this.interfaceKeyPath(name);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StateDirError(`cannot read the kept key ${path}: ${(err as Error).message}`);
    }
    const key = decodeKey(text);
    if (!key)
      throw new StateDirError(
        `${path} does not hold a WireGuard key (32 bytes of base64): restore it from a backup, or delete it to have vppwg generate a new one (every peer must then learn the new public key)`,
      );
    return key;
  }

  /** Keeps `key` for interface `name` (mode 0600, written atomically); returns the file's path. */
  writeInterfaceKey(name: string, key: Uint8Array): string {
    const path = this.interfaceKeyPath(name);
    this.writePrivate(join(this.root, 'keys'), path, encodeKey(key) + '\n');
    return path;
  }

  /** Path of a JSON document kept in the state directory (not secret). */
  documentPath(name: string): string {
    return join(this.root, name);
  }

  /** A JSON document kept here, or undefined when absent; unreadable JSON is an error naming the file. */
  readDocument<T>(name: string): T | undefined {
    const path = this.documentPath(name);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StateDirError(`cannot read ${path}: ${(err as Error).message}`);
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new StateDirError(`${path} is not valid JSON (${(err as Error).message}): delete it to start afresh`);
    }
  }

  /** Writes a JSON document atomically (mode 0600: it may name peers and endpoints). */
  writeDocument(name: string, value: unknown): void {
    this.writePrivate(this.root, this.documentPath(name), JSON.stringify(value, null, 2) + '\n');
  }

  private writePrivate(dir: string, path: string, text: string): void {
    try {
      mkdirSync(this.root, { recursive: true, mode: 0o700 });
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, text, { mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, path);
    } catch (err) {
      throw new StateDirError(
        `cannot write ${path} in the state directory (${(err as Error).message}): give a writable one with --state-dir`,
      );
    }
  }

  /** Whether the directory exists (a state directory is made on first write). */
  exists(): boolean {
    try {
      return statSync(this.root).isDirectory();
    } catch {
      return false;
    }
  }
}
