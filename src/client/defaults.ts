/** Where VPP's binary API socket is unless `socksvr { socket-name ... }` says otherwise. */
export const DEFAULT_VPP_SOCKET = '/run/vpp/api.sock';
