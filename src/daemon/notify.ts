/**
 * systemd readiness (Type=notify). Node has no unix datagram sockets, so the notification is sent
 * by spawning `systemd-notify`; it runs as a child of the daemon, hence NotifyAccess=all in the unit.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/systemd-notify', '/bin/systemd-notify'];

/** Sends e.g. '--ready' or '--status=...' when NOTIFY_SOCKET is set; resolves with what happened. */
export function sdNotify(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<'sent' | 'not under systemd' | string> {
  if (!env.NOTIFY_SOCKET) return Promise.resolve('not under systemd');
  const bin = env.VPPWG_SYSTEMD_NOTIFY ?? CANDIDATES.find((c) => existsSync(c));
  if (!bin) return Promise.resolve('systemd-notify not found');
  return new Promise((resolve) => {
    // --pid tells systemd which main process the message is about, since the sender is a child.
    const child = spawn(bin, [`--pid=${process.pid}`, ...args], { stdio: 'ignore', env });
    child.on('error', (err) => resolve(`systemd-notify failed: ${err.message}`));
    child.on('exit', (code) => resolve(code === 0 ? 'sent' : `systemd-notify exited ${code}`));
  });
}
