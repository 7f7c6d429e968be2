/**
 * The etcd connection: endpoints, TLS and (for tests and small setups) password auth. Calls fail
 * fast while the store is away, so the node keeps working from what it has; watches reconnect on
 * their own within a few seconds.
 */
import { ExponentialBackoff } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import { readFileSync } from 'node:fs';

export interface StoreOptions {
  /** 'http://10.0.0.1:2379' or 'https://...'; several for a cluster. */
  readonly endpoints: readonly string[];
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
  readonly auth?: { readonly username: string; readonly password: string };
  /** Per-call deadline (default 5000 ms). */
  readonly callTimeoutMs?: number;
}

export class StoreConfigError extends Error {}

export function connectStore(opts: StoreOptions): Etcd3 {
  if (opts.endpoints.length === 0) throw new StoreConfigError('no etcd endpoint: give --etcd URL[,URL...]');
  for (const e of opts.endpoints) {
    if (!/^https?:\/\/[^/]+\/?$/.test(e))
      throw new StoreConfigError(`etcd endpoint ${JSON.stringify(e)} is not a URL: write e.g. https://10.0.0.1:2379`);
  }
  const read = (path: string | undefined, flag: string) => {
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new StoreConfigError(
        `cannot read ${flag} ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}): check the path and its permissions`,
      );
    }
  };
  const tls = opts.tls;
  const ca = read(tls?.ca, '--etcd-ca');
  const cert = read(tls?.cert, '--etcd-cert');
  const key = read(tls?.key, '--etcd-key');
  if ((cert && !key) || (key && !cert))
    throw new StoreConfigError('--etcd-cert and --etcd-key go together: give both or neither');
  const https = opts.endpoints.some((e) => e.startsWith('https:'));
  if ((ca || cert) && !https)
    throw new StoreConfigError('TLS files were given but the endpoints are http://: use https:// endpoints');
  const timeout = opts.callTimeoutMs ?? 5000;
  return new Etcd3({
    hosts: [...opts.endpoints],
    ...(https
      ? {
          credentials: {
            rootCertificate: ca ?? Buffer.alloc(0),
            ...(key ? { privateKey: key } : {}),
            ...(cert ? { certChain: cert } : {}),
          },
        }
      : {}),
    ...(opts.auth ? { auth: { ...opts.auth } } : {}),
    dialTimeout: timeout,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
    // The library waits up to 30 s between watch reconnects; a fleet wants to resync soon. It takes
    // the first backoff step (it calls next() on it), though its type names the step type.
    faultHandling: { watchBackoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 2000 }).next() },
  });
}
