import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../src/daemon/api/proto';

describe('daemon API codec (vppwg.proto)', () => {
  it('round-trips a request and names the oneof arm that is set', () => {
    const req = decodeRequest(encodeRequest({ id: 7, subscribe: { kinds: ['PEER_UP', 'VPP_LOST'] } }));
    expect(req.id).toBe(7);
    expect(req.body).toBe('subscribe');
    expect(req.subscribe?.kinds).toEqual(['PEER_UP', 'VPP_LOST']);
    const status = decodeRequest(encodeRequest({ id: 8, getStatus: {} }));
    expect(status.body).toBe('getStatus');
  });

  it('round-trips an event response with 64-bit times as numbers', () => {
    const at = Date.now();
    const res = decodeResponse(
      encodeResponse({
        id: 3,
        ok: true,
        event: {
          kind: 'PEER_UP',
          atMs: at,
          message: 'peer a up',
          peer: {
            interface: 'wg0',
            name: 'a',
            publicKey: 'pk',
            peerIndex: 4,
            swIfIndex: 2,
            established: true,
            sinceMs: at,
            lastEventFlags: 2,
            lastEventAtMs: at,
            lastHandshakeAtMs: at - 5,
          },
        },
      }),
    );
    expect(res.body).toBe('event');
    expect(res.event?.kind).toBe('PEER_UP');
    expect(res.event?.atMs).toBe(at);
    expect(res.event?.peer?.peerIndex).toBe(4);
    expect(res.event?.peer?.lastHandshakeAtMs).toBe(at - 5);
  });

  it('throws on bytes that are not a Request', () => {
    expect(() => decodeRequest(Buffer.from([0x0a, 0xff, 0xff, 0xff]))).toThrow();
  });
});
