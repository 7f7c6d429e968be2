/**
 * The daemon's HTTP side: the ws API (protobuf frames, bearer token), /healthz and /metrics.
 * Request semantics live in the daemon (an ApiHandler); this file does transport, auth, framing,
 * errors for bad frames and event fan-out to subscribers.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type winston from 'winston';
import { authorizationMatches } from './token';
import { decodeRequest, encodeResponse, EventKindName, EventMsg, RequestMsg, ResponseMsg } from './api/proto';
import { isLoopback, type ListenAddress } from './listen';
export { DEFAULT_LISTEN, isLoopback, parseListen, type ListenAddress } from './listen';

export const API_PATH = '/v1';
/** Largest frame accepted: a desired state of 10,000 peers fits with room to spare. */
const MAX_FRAME = 32 * 1024 * 1024;
/** A subscriber this far behind is disconnected rather than buffering without bound. */
const MAX_BUFFERED = 16 * 1024 * 1024;

export interface ApiHandler {
  /** Answer one request (everything but subscribe/unsubscribe, which the server keeps). */
  handle(req: RequestMsg): Promise<Omit<ResponseMsg, 'id'>>;
  health(): { ready: boolean; detail: Record<string, unknown> };
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Observe each API request (metrics). */
  onRequest?(kind: string, ok: boolean): void;
}

interface Connection {
  ws: WebSocket;
  remote: string;
  /** subscription id → kinds (empty = all) */
  subscriptions: Map<number, Set<EventKindName>>;
}

export interface ApiServerOptions {
  listen: ListenAddress;
  /** Separate health/metrics listener; undefined = served on the API listener. */
  metricsListen?: ListenAddress;
  token: string;
  handler: ApiHandler;
  logger: winston.Logger;
  /** Applied to every reply and event before encoding (key scrubbing). */
  sanitize?: (res: ResponseMsg) => ResponseMsg;
}

export class ApiServer {
  private readonly http: Server;
  private metricsHttp?: Server;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private closing = false;

  constructor(private readonly opts: ApiServerOptions) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME });
    this.http = createServer((req, res) => this.onHttp(req, res, opts.metricsListen === undefined));
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    if (opts.metricsListen) this.metricsHttp = createServer((req, res) => this.onHttp(req, res, true));
  }

  async start(): Promise<void> {
    await listen(this.http, this.opts.listen);
    if (this.metricsHttp && this.opts.metricsListen) await listen(this.metricsHttp, this.opts.metricsListen);
  }

  /** Warnings for listeners other hosts can reach (logged by the caller after its listen line). */
  exposureWarnings(): string[] {
    const out: string[] = [];
    for (const [what, a] of [
      ['API', this.opts.listen],
      ['metrics', this.opts.metricsListen],
    ] as const) {
      if (a && !isLoopback(a.host))
        out.push(`${what} listener on ${a.host} is reachable from other hosts; keep it behind a firewall`);
    }
    return out;
  }

  /** The bound API address (the real port when 0 was asked for). */
  address(): ListenAddress {
    const a = this.http.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  metricsAddress(): ListenAddress {
    const a = (this.metricsHttp ?? this.http).address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  /** Send an event to every subscription that wants its kind. */
  publish(event: EventMsg): void {
    for (const conn of this.connections) {
      for (const [subId, kinds] of conn.subscriptions) {
        if (kinds.size > 0 && !kinds.has(event.kind)) continue;
        if (conn.ws.bufferedAmount > MAX_BUFFERED) {
          this.opts.logger.warn('API subscriber too slow; closing its connection', { remote: conn.remote });
          conn.ws.close(1013, 'subscriber too slow');
          break;
        }
        this.send(conn, { id: subId, ok: true, event });
      }
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const conn of this.connections) conn.ws.close(1001, 'daemon shutting down');
    // Give close frames a moment, then cut whatever is left.
    await new Promise((r) => setTimeout(r, 50).unref());
    for (const conn of this.connections) conn.ws.terminate();
    this.wss.close();
    await Promise.all([closeServer(this.http), this.metricsHttp ? closeServer(this.metricsHttp) : Promise.resolve()]);
  }

  private onHttp(req: IncomingMessage, res: ServerResponse, serveMetrics: boolean): void {
    const path = (req.url ?? '/').split('?')[0];
    if (serveMetrics && path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      const h = this.opts.handler.health();
      res.writeHead(h.ready ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: h.ready ? 'ready' : 'not ready', ...h.detail }) + '\n');
      return;
    }
    if (serveMetrics && path === '/metrics' && req.method === 'GET') {
      this.opts.handler.metrics().then(
        (m) => {
          res.writeHead(200, { 'content-type': m.contentType });
          res.end(m.body);
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`metrics failed: ${err.message}\n`);
        },
      );
      return;
    }
    if (path === API_PATH) {
      res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
      res.end(`${API_PATH} is a WebSocket endpoint: connect with ws:// and Authorization: Bearer <token>\n`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end(
      `not found: ${path}; the daemon serves ${API_PATH} (WebSocket API)${serveMetrics ? ', /healthz and /metrics' : ''}\n`,
    );
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '/').split('?')[0];
    const refuse = (status: string, body: string, extra = ''): void => {
      socket.end(
        `HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`,
      );
    };
    if (this.closing) return refuse('503 Service Unavailable', 'daemon shutting down\n');
    if (path !== API_PATH) return refuse('404 Not Found', `the WebSocket API is at ${API_PATH}\n`);
    if (!authorizationMatches(req.headers.authorization, this.opts.token)) {
      this.opts.logger.warn('API connection refused: missing or wrong bearer token', {
        remote: req.socket.remoteAddress,
      });
      this.opts.handler.onRequest?.('connect', false);
      return refuse(
        '401 Unauthorized',
        'send Authorization: Bearer <token> with the content of the daemon token file (--token-file)\n',
        'WWW-Authenticate: Bearer\r\n',
      );
    }
    this.wss.handleUpgrade(req, socket, head, (ws) =>
      this.onConnection(ws, `${req.socket.remoteAddress}:${req.socket.remotePort}`),
    );
  }

  private onConnection(ws: WebSocket, remote: string): void {
    const conn: Connection = { ws, remote, subscriptions: new Map() };
    this.connections.add(conn);
    this.opts.logger.debug('API client connected', { remote });
    ws.on('message', (data, isBinary) => this.onFrame(conn, data as Buffer | Buffer[] | ArrayBuffer, isBinary));
    ws.on('close', () => {
      this.connections.delete(conn);
      this.opts.logger.debug('API client disconnected', { remote });
    });
    ws.on('error', (err) => this.opts.logger.warn('API connection error', { remote, error: err.message }));
  }

  private onFrame(conn: Connection, data: Buffer | Buffer[] | ArrayBuffer, isBinary: boolean): void {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (!isBinary) {
      this.badFrame(
        conn,
        'text frame received: send each Request as a binary frame holding protobuf-encoded vppwg.v1.Request',
      );
      return;
    }
    let req: RequestMsg;
    try {
      req = decodeRequest(bytes);
    } catch (err) {
      this.badFrame(
        conn,
        `frame of ${bytes.length} bytes is not a protobuf vppwg.v1.Request (${(err as Error).message}); see src/daemon/api/vppwg.proto`,
      );
      return;
    }
    const id = req.id;
    if (!req.body) {
      this.opts.handler.onRequest?.('unknown', false);
      this.send(conn, {
        id,
        ok: false,
        error: {
          code: 'BAD_REQUEST',
          message: `request ${id} sets none of the request kinds (get_status, get_desired_state, get_actual_state, plan, apply, subscribe, unsubscribe); see vppwg.proto`,
        },
      });
      return;
    }
    if (req.body === 'subscribe') {
      if (conn.subscriptions.has(id)) {
        this.send(conn, {
          id,
          ok: false,
          error: {
            code: 'BAD_REQUEST',
            message: `subscription id ${id} is already in use on this connection; pick another request id`,
          },
        });
        return;
      }
      const kinds = new Set((req.subscribe?.kinds ?? []).filter((k) => (k as string) !== 'EVENT_UNSPECIFIED'));
      conn.subscriptions.set(id, kinds);
      this.opts.handler.onRequest?.('subscribe', true);
      this.send(conn, { id, ok: true, subscribed: {} });
      return;
    }
    if (req.body === 'unsubscribe') {
      const sub = req.unsubscribe?.subscriptionId ?? 0;
      const had = conn.subscriptions.delete(sub);
      this.opts.handler.onRequest?.('unsubscribe', had);
      this.send(
        conn,
        had
          ? { id, ok: true, unsubscribed: {} }
          : {
              id,
              ok: false,
              error: { code: 'BAD_REQUEST', message: `no subscription with id ${sub} on this connection` },
            },
      );
      return;
    }
    const kind = req.body;
    this.opts.handler.handle(req).then(
      (res) => {
        this.opts.handler.onRequest?.(kind, res.ok);
        this.send(conn, { ...res, id });
      },
      (err: Error) => {
        this.opts.handler.onRequest?.(kind, false);
        this.opts.logger.error('API request failed', { request: kind, error: err.message });
        this.send(conn, { id, ok: false, error: { code: 'INTERNAL', message: err.message } });
      },
    );
  }

  private badFrame(conn: Connection, message: string): void {
    this.opts.handler.onRequest?.('bad_frame', false);
    this.opts.logger.warn('API bad frame', { remote: conn.remote, error: message });
    this.send(conn, { id: 0, ok: false, error: { code: 'BAD_FRAME', message } });
  }

  private send(conn: Connection, res: ResponseMsg): void {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    conn.ws.send(encodeResponse(this.opts.sanitize ? this.opts.sanitize(res) : res), { binary: true });
  }
}

function listen(server: Server, a: ListenAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void =>
      reject(
        new Error(`cannot listen on ${a.host}:${a.port}: ${err.message}; pick another address with --listen/--metrics`),
      );
    server.once('error', onError);
    server.listen(a.port, a.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
