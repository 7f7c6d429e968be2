/** Where the daemon's API listens: the default and the one way `--listen`/`--api` text is read. */
export const DEFAULT_LISTEN = '127.0.0.1:9810';

export interface ListenAddress {
  host: string;
  port: number;
}

/** '127.0.0.1:9810', '[::1]:9810', 'localhost:80', ':9810' or '9810' (host defaults to 127.0.0.1). */
export function parseListen(text: string): ListenAddress {
  const t = text.trim();
  let host = '127.0.0.1';
  let portText = t;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(t);
  if (v6) {
    host = v6[1]!;
    portText = v6[2]!;
  } else if (t.includes(':')) {
    const i = t.lastIndexOf(':');
    if (i > 0) host = t.slice(0, i);
    portText = t.slice(i + 1);
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    throw new Error(`listen address "${text}" is not HOST:PORT with a port 0-65535; e.g. 127.0.0.1:9810 or [::1]:9810`);
  }
  return { host, port };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
