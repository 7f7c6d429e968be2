/**
 * A client of the daemon API (ws + protobuf), used by `vppwg status` / `vppwg events` and tests.
 */
import { WebSocket } from 'ws';
import { API_PATH, ListenAddress } from './server';
import { ApiRequestError } from './api/request-error';
import { decodeResponse, encodeRequest, EventKindName, EventMsg, RequestMsg, ResponseMsg } from './api/proto';

export { ApiRequestError };

export function apiUrl(a: ListenAddress): string {
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  return `ws://${host}:${a.port}${API_PATH}`;
}

type RequestBody = Omit<RequestMsg, 'id' | 'body'>;

export class DaemonApiClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: ResponseMsg) => void; reject: (e: Error) => void }>();
  private readonly subscriptions = new Map<number, (e: EventMsg) => void>();
  /** Frame-level errors (id 0) the daemon sent. */
  readonly frameErrors: ResponseMsg[] = [];
  private closedError?: Error;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.onMessage(data as Buffer));
    ws.on('close', (code, reason) => {
      this.closedError = new Error(
        `daemon API connection closed (${code}${reason.length ? ' ' + reason.toString() : ''})`,
      );
      for (const p of this.pending.values()) p.reject(this.closedError);
      this.pending.clear();
      this.onClose?.(code, reason.toString());
    });
  }

  onClose?: (code: number, reason: string) => void;

  /** Connects; rejects with the HTTP status when the daemon refuses (e.g. 401 without a valid token). */
  static connect(url: string, token: string | undefined, timeoutMs = 5000): Promise<DaemonApiClient> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
      const ws = new WebSocket(url, { headers, handshakeTimeout: timeoutMs });
      ws.once('open', () => resolve(new DaemonApiClient(ws)));
      ws.once('unexpected-response', (_req, res) => {
        ws.terminate();
        const err = new Error(
          `daemon API at ${url} refused the connection: HTTP ${res.statusCode}${res.statusCode === 401 ? ' (missing or wrong token; pass --token-file)' : ''}`,
        );
        (err as Error & { statusCode?: number }).statusCode = res.statusCode;
        reject(err);
      });
      ws.once('error', (err) =>
        reject(
          new Error(
            `cannot reach the daemon API at ${url}: ${err.message}; is \`vppwg serve\` running (see --listen)?`,
          ),
        ),
      );
    });
  }

  /** Sends a request and resolves with its response (ok or not). */
  request(body: RequestBody, timeoutMs = 60_000): Promise<ResponseMsg> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`daemon API request ${id} got no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.ws.send(encodeRequest({ ...body, id }), { binary: true });
    });
  }

  /** Like request(), but rejects with ApiRequestError when the reply is not ok. */
  async call(body: RequestBody, timeoutMs?: number): Promise<ResponseMsg> {
    const res = await this.request(body, timeoutMs);
    if (!res.ok) throw new ApiRequestError(res.error?.code ?? 'UNKNOWN', res.error?.message ?? 'request failed', res);
    return res;
  }

  /** Subscribes; resolves with the subscription id once the daemon confirmed it. */
  async subscribe(onEvent: (e: EventMsg) => void, kinds: EventKindName[] = []): Promise<number> {
    const id = this.nextId; // request() takes this id
    this.subscriptions.set(id, onEvent);
    try {
      await this.call({ subscribe: { kinds } });
    } catch (err) {
      this.subscriptions.delete(id);
      throw err;
    }
    return id;
  }

  /** Sends raw bytes (tests: malformed frames). */
  sendRaw(data: Buffer | string, binary = true): void {
    this.ws.send(data, { binary });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      // A daemon that never answers the close frame would hold the socket (and the process) for
      // ws's 30 s close timeout: cut it after a short wait instead.
      const cut = setTimeout(() => this.ws.terminate(), 2000).unref();
      this.ws.once('close', () => {
        clearTimeout(cut);
        resolve();
      });
      this.ws.close(1000);
    });
  }

  private onMessage(data: Buffer): void {
    let res: ResponseMsg;
    try {
      res = decodeResponse(data);
    } catch {
      return;
    }
    if (res.id === 0) {
      this.frameErrors.push(res);
      this.onFrameError?.(res);
      return;
    }
    if (res.body === 'event' && res.event) {
      this.subscriptions.get(res.id)?.(res.event);
      return;
    }
    const p = this.pending.get(res.id);
    if (p) {
      this.pending.delete(res.id);
      p.resolve(res);
    }
  }

  onFrameError?: (res: ResponseMsg) => void;
}
