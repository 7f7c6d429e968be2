/**
 * A BGP lab of real daemons for the proofs that BIRD, configured by `vppwg render bird`, peers
 * across vppwg's WireGuard tunnels: network namespaces, wireguard-go interfaces, BIRD instances
 * with control sockets in a temp dir, and the far ends (one namespace each: wireguard-go + BIRD
 * announcing prefixes on command) hanging off a gateway namespace that plays the BGP example's
 * underlay gateway 192.0.2.254. Used by bird-over-wireguard.test.ts (the VPP side played by a
 * namespace, runs anywhere) and test/real-vpp/bgp.ts (the VPP side is VPP with linux-cp).
 *
 * Everything started is registered in a Lab and undone in reverse by `lab.dispose()` (namespaces
 * deleted, processes killed by their pid, also after a failure). Private keys reach wg through
 * 0600 files in the lab's temp dir, removed at once, and are never printed.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDesiredState, type DesiredState } from '../../src/config';
import { projectRoot } from '../../src/util/paths';
import { runCli } from '../cli/helpers';

/** A WireGuard key pair, base64 as wg writes them. */
export function keyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const b64 = (s: string | undefined) => Buffer.from(s!, 'base64url').toString('base64');
  return {
    privateKey: b64(privateKey.export({ format: 'jwk' }).d),
    publicKey: b64(publicKey.export({ format: 'jwk' }).x),
  };
}

export async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function installed(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/**
 * What this machine lacks for the lab, in words naming it, or undefined: BIRD (Debian bird2),
 * wireguard-go and wg (wireguard-tools), ip and ping, /dev/net/tun, and the right to create a
 * network namespace (tried).
 */
export function labMissing(): string | undefined {
  const tools: [string, string][] = [
    ['bird', 'bird2'],
    ['birdc', 'bird2'],
    ['wireguard-go', 'wireguard-go'],
    ['wg', 'wireguard-tools'],
    ['ip', 'iproute2'],
    ['ping', 'iputils-ping'],
  ];
  const missing = tools.filter(([cmd]) => !installed(cmd)).map(([cmd, pkg]) => `${cmd} (Debian ${pkg})`);
  if (missing.length) return `not installed: ${missing.join(', ')}`;
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun (wireguard-go makes its interface there)';
  const probe = `vppwg-bgp-probe-${process.pid}`;
  const made = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (made.status !== 0)
    return `no right to create a network namespace (ip netns add: ${(made.stderr || '').trim() || `exit ${made.status}`})`;
  try {
    // In the namespace: a TUN (what wireguard-go makes) and a veth pair (the lab's wires).
    const tun = spawnSync('ip', ['-n', probe, 'tuntap', 'add', 'dev', 'probe0', 'mode', 'tun'], { encoding: 'utf8' });
    if (tun.status !== 0) return `no right to create a TUN interface (ip tuntap add: ${(tun.stderr || '').trim()})`;
    const veth = spawnSync('ip', ['-n', probe, 'link', 'add', 'probe1', 'type', 'veth', 'peer', 'name', 'probe2'], {
      encoding: 'utf8',
    });
    if (veth.status !== 0) return `no right to create a veth pair (ip link add: ${(veth.stderr || '').trim()})`;
    return undefined;
  } finally {
    spawnSync('ip', ['netns', 'del', probe]);
  }
}

/** What to undo, in reverse order; every step runs even when one fails. */
export class Lab {
  readonly dir = mkdtempSync(join(tmpdir(), 'vppwg-bgp-lab-'));
  /** Short and random: namespaces and wireguard-go names (machine-wide) carry it, so runs never meet. */
  readonly id = randomBytes(3).toString('hex').slice(0, 5);
  private readonly undo: { what: string; run: () => void | Promise<void> }[] = [];

  onDispose(what: string, run: () => void | Promise<void>): void {
    this.undo.push({ what, run });
  }

  async dispose(): Promise<string[]> {
    const errors: string[] = [];
    for (const u of this.undo.reverse()) {
      try {
        await u.run();
      } catch (err) {
        errors.push(`${u.what}: ${(err as Error).message}`);
      }
    }
    this.undo.length = 0;
    rmSync(this.dir, { recursive: true, force: true });
    return errors;
  }

  /** A new network namespace, deleted by dispose. */
  netns(role: string): Netns {
    const ns = new Netns(`vppwg-bgp-${this.id}-${role}`);
    execFileSync('ip', ['netns', 'add', ns.name]);
    this.onDispose(`netns ${ns.name}`, () => void execFileSync('ip', ['netns', 'del', ns.name]));
    ns.ip('link', 'set', 'lo', 'up');
    return ns;
  }

  /** A process in `ns` (foreground), its output in a log file of the lab's dir; killed by dispose. */
  spawn(ns: Netns, logName: string, cmd: string[], env: Record<string, string> = {}): ChildProcess {
    const log = join(this.dir, logName);
    const child = spawn('ip', ['netns', 'exec', ns.name, ...cmd], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let text = '';
    const keep = (d: Buffer) => {
      text += d.toString();
      writeFileSync(log, text);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const exited = new Promise<void>((r) => child.once('close', () => r()));
    this.onDispose(`${cmd[0]} in ${ns.name}`, async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(timer);
      }
    });
    return child;
  }

  /** The last lines of a log of the lab's dir, for a failure message. */
  logTail(logName: string, lines = 30): string {
    const file = join(this.dir, logName);
    if (!existsSync(file)) return `(no ${logName})`;
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  }
}

export class Netns {
  constructor(readonly name: string) {}

  /** `ip -n NS ...`; throws with ip's message. */
  ip(...args: string[]): string {
    return execFileSync('ip', ['-n', this.name, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** A command inside the namespace; throws with its output when it fails. */
  exec(...cmd: string[]): string {
    return execFileSync('ip', ['netns', 'exec', this.name, ...cmd], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  sysctl(key: string, value?: string): string {
    return this.exec('sysctl', '-n', ...(value === undefined ? [key] : ['-w', `${key}=${value}`])).trim();
  }

  /** Two pings to `to`: whether a reply came back. */
  ping(to: string): boolean {
    try {
      this.exec('ping', '-c', '2', '-i', '0.2', '-W', '2', '-q', to);
      return true;
    } catch {
      return false;
    }
  }

  /** The kernel's route for exactly `prefix` in the main table, or undefined. */
  route(prefix: string): { via: string; dev: string; proto: string } | undefined {
    const family = prefix.includes(':') ? '-6' : '-4';
    const line = this.ip(family, 'route', 'show', 'exact', prefix).trim().split('\n')[0] ?? '';
    const m = /via (\S+) dev (\S+)(?:.* proto (\S+))?/.exec(line);
    return m ? { via: m[1]!, dev: m[2]!, proto: m[3] ?? '' } : undefined;
  }
}

export interface WgPeer {
  publicKey: string;
  allowedIps: readonly string[];
  endpoint?: string;
  keepalive?: number;
}

/**
 * A wireguard-go interface in `ns`. Its control socket (/var/run/wireguard/NAME.sock) is per name
 * machine-wide, so it starts under a name unique to the lab and is then renamed to `linkName`
 * (wireguard-go keeps working through its file descriptor and socket; `wg` still addresses it by
 * the first name).
 */
export class WgGo {
  private constructor(
    readonly ns: Netns,
    /** The name `wg` knows it by. */
    readonly control: string,
    /** The Linux interface's name in ns. */
    readonly link: string,
  ) {}

  static async start(lab: Lab, ns: Netns, control: string, linkName: string): Promise<WgGo> {
    if (control.length > 15) throw new Error(`interface name ${control} is longer than 15 bytes`);
    const child = lab.spawn(ns, `wireguard-go-${control}.log`, ['wireguard-go', '-f', control], {
      LOG_LEVEL: 'error',
    });
    const sock = `/var/run/wireguard/${control}.sock`;
    await until(`wireguard-go ${control} to listen on ${sock}`, 10_000, () => {
      if (child.exitCode !== null)
        throw new Error(`wireguard-go ${control} exited: ${lab.logTail(`wireguard-go-${control}.log`)}`);
      return existsSync(sock) ? true : undefined;
    });
    if (linkName !== control) ns.ip('link', 'set', control, 'name', linkName);
    return new WgGo(ns, control, linkName);
  }

  /** Private key (through a 0600 file, removed at once), listen port, peers. */
  configure(lab: Lab, o: { privateKey: string; listenPort: number; peers: readonly WgPeer[] }): void {
    const keyFile = join(lab.dir, `${this.control}.key`);
    writeFileSync(keyFile, o.privateKey + '\n', { mode: 0o600 });
    const args = ['wg', 'set', this.control, 'private-key', keyFile, 'listen-port', String(o.listenPort)];
    for (const p of o.peers) {
      args.push('peer', p.publicKey, 'allowed-ips', p.allowedIps.join(','));
      if (p.endpoint) args.push('endpoint', p.endpoint);
      if (p.keepalive) args.push('persistent-keepalive', String(p.keepalive));
    }
    try {
      this.ns.exec(...args);
    } finally {
      rmSync(keyFile, { force: true });
    }
  }

  /** Addresses (IPv6 without DAD), MTU, up. */
  address(addresses: readonly string[], mtu: number): void {
    for (const a of addresses) this.ns.ip('addr', 'add', a, 'dev', this.link, ...(a.includes(':') ? ['nodad'] : []));
    this.ns.ip('link', 'set', this.link, 'mtu', String(mtu), 'up');
  }

  setUp(up: boolean): void {
    this.ns.ip('link', 'set', this.link, up ? 'up' : 'down');
  }

  /** Bytes received from the peers, as wg counts them. */
  rxBytes(): number {
    return this.ns
      .exec('wg', 'show', this.control, 'transfer')
      .trim()
      .split('\n')
      .filter((l) => l !== '')
      .reduce((sum, l) => sum + Number(l.split('\t')[1]), 0);
  }
}

export interface BirdProtocol {
  name: string;
  proto: string;
  state: string;
  info: string;
}

/** A BIRD 2 in a namespace, in the foreground, with its control socket in the lab's dir. */
export class Bird {
  private constructor(
    private readonly lab: Lab,
    readonly name: string,
    readonly socket: string,
  ) {}

  static async start(lab: Lab, ns: Netns, name: string, config: string): Promise<Bird> {
    const conf = join(lab.dir, `${name}.conf`);
    const socket = join(lab.dir, `${name}.ctl`);
    writeFileSync(conf, `log "${join(lab.dir, `${name}.log`)}" all;\n${config}`);
    const child = lab.spawn(ns, `${name}.out`, ['bird', '-f', '-c', conf, '-s', socket]);
    const bird = new Bird(lab, name, socket);
    await until(`BIRD ${name} to answer on ${socket}`, 10_000, () => {
      if (child.exitCode !== null) throw new Error(`BIRD ${name} exited: ${lab.logTail(`${name}.out`)}`);
      return existsSync(socket) && spawnSync('birdc', ['-s', socket, 'show', 'status']).status === 0 ? true : undefined;
    });
    return bird;
  }

  /** A birdc command; throws with birdc's answer when it fails. */
  cmd(...args: string[]): string {
    return execFileSync('birdc', ['-s', this.socket, ...args], { encoding: 'utf8' });
  }

  protocols(): BirdProtocol[] {
    const out: BirdProtocol[] = [];
    for (const line of this.cmd('show', 'protocols').split('\n')) {
      // Name Proto Table State Since Info; Since is a time, or a date and a time.
      const t = line.trim().split(/\s+/);
      if (t.length < 5 || !/^(up|down|start|stop|flush)$/.test(t[3]!)) continue;
      const info = t.slice(/^\d{4}-\d{2}-\d{2}$/.test(t[4]!) ? 6 : 5).join(' ');
      out.push({ name: t[0]!, proto: t[1]!, state: t[3]!, info });
    }
    return out;
  }

  established(name: string): boolean {
    const p = this.protocols().find((x) => x.name === name);
    return p?.state === 'up' && /Established/.test(p.info);
  }

  /** Waits until every named session is Established; the error shows BIRD's table and its log. */
  async waitEstablished(names: readonly string[], timeoutMs: number): Promise<void> {
    try {
      await until(`BGP sessions ${names.join(', ')} Established in BIRD ${this.name}`, timeoutMs, () =>
        names.every((n) => this.established(n)) ? true : undefined,
      );
    } catch (err) {
      throw new Error(
        `${(err as Error).message}\n${this.cmd('show', 'protocols')}\n${this.lab.logTail(`${this.name}.log`)}`,
      );
    }
  }
}

/** The example this proof runs: deploy/bgp/vppwg.yaml. */
export const BGP_EXAMPLE = join(projectRoot(), 'deploy', 'bgp', 'vppwg.yaml');

/**
 * The far ends of deploy/bgp/vppwg.yaml, one per tunnel: the peer they play, its AS and tunnel
 * addresses (the file's tunnel next hops), the endpoint address they answer on (see labFile), a
 * transfer network to the gateway, and what they can announce. The failover prefix is announced by
 * both (anycast: each holds 10.202.0.1), so traffic to it can move from one tunnel to the other.
 */
export interface FarEndSpec {
  tag: 'dc1' | 'dc2';
  interface: string;
  peer: string;
  asn: number;
  tunnel: { ip4: string; ip6: string };
  endpoint: string;
  transfer: { gateway: string; far: string };
  own: { prefix: string; address: string }[];
}

export const FAILOVER = { prefix: '10.202.0.0/24', address: '10.202.0.1' };

export const FAR_ENDS: readonly FarEndSpec[] = [
  {
    tag: 'dc1',
    interface: 'to-dc1',
    peer: 'dc1-router',
    asn: 65010,
    tunnel: { ip4: '169.254.10.1/31', ip6: 'fd00:10::1/127' },
    endpoint: '198.51.100.11',
    transfer: { gateway: '100.64.201.0', far: '100.64.201.1' },
    own: [
      { prefix: '10.201.0.0/24', address: '10.201.0.1' },
      { prefix: 'fd00:201::/48', address: 'fd00:201::1' },
    ],
  },
  {
    tag: 'dc2',
    interface: 'to-dc2',
    peer: 'dc2-router',
    asn: 65020,
    tunnel: { ip4: '169.254.20.1/31', ip6: 'fd00:20::1/127' },
    endpoint: '198.51.100.21',
    transfer: { gateway: '100.64.202.0', far: '100.64.202.1' },
    own: [],
  },
];

/**
 * deploy/bgp/vppwg.yaml as the lab runs it: each BGP peer's public key is its far end's, and its
 * endpoint (and the file's pinned route to it) moves from 198.51.100.10/.20 to the far end's own
 * address (.11/.21: the real-VPP suites' far-end namespace already holds .10 itself, so the far
 * ends there get addresses nothing else answers on). Everything else is the example's.
 */
export function labFile(farKeys: Readonly<Record<FarEndSpec['tag'], string>>): string {
  let text = readFileSync(BGP_EXAMPLE, 'utf8');
  for (const far of FAR_ENDS) {
    const key = new RegExp(`(- name: ${far.peer}\\n\\s+public_key: )\\S+`);
    if (!key.test(text)) throw new Error(`deploy/bgp/vppwg.yaml has no peer ${far.peer} with a public_key`);
    text = text.replace(key, `$1${farKeys[far.tag]}`);
    const original = far.tag === 'dc1' ? '198.51.100.10' : '198.51.100.20';
    text = text.replace(new RegExp(`\\b${original.replace(/\./g, '\\.')}\\b`, 'g'), far.endpoint);
  }
  return text;
}

export function parseLabFile(text: string, name: string): DesiredState {
  const { state, diagnostics } = parseDesiredState(text, name, { env: {} });
  if (!state) throw new Error(diagnostics.map((d) => d.message).join('; '));
  return state;
}

/** `vppwg render bird FILE` through the built CLI, as a user runs it. */
export async function renderBird(file: string): Promise<string> {
  const r = await runCli(['render', 'bird', file]);
  if (r.code !== 0) throw new Error(`vppwg render bird ${file} failed: ${r.err}`);
  return r.out;
}

/** The BGP sessions a rendering declares (`protocol bgp NAME`), with the interface each runs on. */
export function renderedSessions(config: string): { name: string; neighbour: string; iface: string }[] {
  const out: { name: string; neighbour: string; iface: string }[] = [];
  const re = /^protocol bgp (\S+) \{\n(?:.*\n)*?\s+neighbor (\S+) as \d+;\n\s+interface "([^"]+)";/gm;
  for (let m = re.exec(config); m; m = re.exec(config)) out.push({ name: m[1]!, neighbour: m[2]!, iface: m[3]! });
  return out;
}

const host = (cidr: string) => cidr.split('/')[0]!;
/** The other end of a /31 or /127: the VPP side's tunnel address. */
function otherEnd(cidr: string): string {
  const a = host(cidr);
  if (a.includes(':')) return a.replace(/::1$/, '::');
  const parts = a.split('.');
  parts[3] = String(Number(parts[3]) ^ 1);
  return parts.join('.');
}

/**
 * One far end: a namespace behind the gateway (a veth with a /31 transfer network; the gateway
 * routes the endpoint address there), wireguard-go peering with the VPP side, and BIRD peering back
 * over the tunnel with a short hold time (BGP takes the lower of both sides', so a dead tunnel is
 * noticed in 3 s), its announcements switched on and off with `announce`.
 */
export class FarEnd {
  private constructor(
    readonly spec: FarEndSpec,
    readonly ns: Netns,
    readonly wg: WgGo,
    readonly bird: Bird,
  ) {}

  /** The VPP side's tunnel addresses on this far end's tunnel. */
  get vppSide(): { ip4: string; ip6: string } {
    return { ip4: otherEnd(this.spec.tunnel.ip4), ip6: otherEnd(this.spec.tunnel.ip6) };
  }

  static async start(
    lab: Lab,
    gateway: Netns,
    spec: FarEndSpec,
    o: { privateKey: string; vppPublicKey: string; vppEndpoint: string },
  ): Promise<FarEnd> {
    const ns = lab.netns(spec.tag);
    // The veth: its gateway side named after the lab, so two labs on one gateway never collide.
    const gwSide = `bgp${lab.id}${spec.tag}`;
    gateway.ip('link', 'add', gwSide, 'type', 'veth', 'peer', 'name', 'up0', 'netns', ns.name);
    lab.onDispose(`veth ${gwSide} in ${gateway.name}`, () => {
      try {
        gateway.ip('link', 'del', gwSide);
      } catch {
        // gone with the far end's namespace
      }
    });
    gateway.ip('addr', 'add', `${spec.transfer.gateway}/31`, 'dev', gwSide);
    gateway.ip('link', 'set', gwSide, 'up');
    gateway.ip('route', 'replace', `${spec.endpoint}/32`, 'via', spec.transfer.far, 'dev', gwSide);
    ns.ip('addr', 'add', `${spec.transfer.far}/31`, 'dev', 'up0');
    ns.ip('addr', 'add', `${spec.endpoint}/32`, 'dev', 'lo');
    ns.ip('link', 'set', 'up0', 'up');
    // What the far end sends (its handshakes to VPP) leaves from its endpoint address.
    ns.ip('route', 'add', 'default', 'via', spec.transfer.gateway, 'dev', 'up0', 'src', spec.endpoint);
    for (const a of [...spec.own, FAILOVER])
      ns.ip('addr', 'add', a.address.includes(':') ? `${a.address}/128` : `${a.address}/32`, 'dev', 'lo');

    const wg = await WgGo.start(lab, ns, `bgp${lab.id}${spec.tag}`, `wg-${spec.tag}`);
    const vppSide = { ip4: otherEnd(spec.tunnel.ip4), ip6: otherEnd(spec.tunnel.ip6) };
    wg.configure(lab, {
      privateKey: o.privateKey,
      listenPort: 51820,
      peers: [
        {
          publicKey: o.vppPublicKey,
          allowedIps: [`${vppSide.ip4}/32`, `${vppSide.ip6}/128`],
          endpoint: o.vppEndpoint,
          keepalive: 25,
        },
      ],
    });
    wg.address([spec.tunnel.ip4, spec.tunnel.ip6], 1420);

    const announce = (family: 'ipv4' | 'ipv6', name: string, prefixes: string[]) =>
      [
        `protocol static ${name} {`,
        '  disabled;',
        `  ${family};`,
        ...prefixes.map((p) => `  route ${p} unreachable;`),
        '}',
      ].join('\n');
    const session = (family: 'ipv4' | 'ipv6', local: string, neighbour: string) =>
      [
        `protocol bgp vpp_${family} {`,
        `  local ${host(local)} as ${spec.asn};`,
        `  neighbor ${neighbour} as 65000;`,
        `  interface "${wg.link}";`,
        '  connect delay time 1;',
        // Until BIRD on the VPP side listens, a connection is refused: try again soon, not in 120 s.
        '  connect retry time 2;',
        '  hold time 3;',
        '  keepalive time 1;',
        `  ${family} { import none; export where source = RTS_STATIC; };`,
        '}',
      ].join('\n');
    const own4 = spec.own.filter((a) => !a.address.includes(':')).map((a) => a.prefix);
    const own6 = spec.own.filter((a) => a.address.includes(':')).map((a) => a.prefix);
    const config = [
      `router id ${host(spec.tunnel.ip4)};`,
      'protocol device { scan time 10; }',
      ...(own4.length ? [announce('ipv4', 'own4', own4)] : []),
      ...(own6.length ? [announce('ipv6', 'own6', own6)] : []),
      announce('ipv4', 'failover', [FAILOVER.prefix]),
      session('ipv4', spec.tunnel.ip4, vppSide.ip4),
      session('ipv6', spec.tunnel.ip6, vppSide.ip6),
      '',
    ].join('\n');
    const bird = await Bird.start(lab, ns, `far-${spec.tag}`, config);
    return new FarEnd(spec, ns, wg, bird);
  }

  /** Announce (or withdraw) its own prefixes, or the failover prefix. */
  announce(what: 'own' | 'failover', on: boolean): void {
    const names =
      what === 'failover'
        ? ['failover']
        : this.bird
            .protocols()
            .map((p) => p.name)
            .filter((n) => /^own[46]$/.test(n));
    if (names.length === 0) throw new Error(`far end ${this.spec.tag} has nothing of its own to announce`);
    for (const p of names) this.bird.cmd(on ? 'enable' : 'disable', p);
  }
}

/** The gateway namespace forwards between the VPP side and the far ends; returns how to put it back. */
export function forwarding(gateway: Netns): () => void {
  const before = gateway.sysctl('net.ipv4.ip_forward');
  gateway.sysctl('net.ipv4.ip_forward', '1');
  return () => gateway.sysctl('net.ipv4.ip_forward', before);
}

/**
 * The VPP side played by a namespace: what vppwg and linux-cp would give the routing daemon in
 * `dataplane`. The file's uplink (its addresses and pinned routes) on a veth to the gateway
 * (192.0.2.254), and one wireguard-go interface per WireGuard interface of the file, named as its
 * host_interface, with the file's addresses, listen port, MTU and peers, and a key made here.
 */
export async function nearSide(
  lab: Lab,
  gateway: Netns,
  text: string,
): Promise<{ ns: Netns; publicKeys: Map<string, string> }> {
  const desired = parseLabFile(text, 'lab.yaml');
  const ns = lab.netns('near');
  gateway.ip('link', 'add', 'down0', 'type', 'veth', 'peer', 'name', 'e0', 'netns', ns.name);
  gateway.ip('addr', 'add', '192.0.2.254/24', 'dev', 'down0');
  gateway.ip('link', 'set', 'down0', 'up');
  const uplink = desired.uplinks.find((u) => u.name === 'host-eth0')!;
  for (const a of uplink.addresses ?? []) ns.ip('addr', 'add', a, 'dev', 'e0', ...(a.includes(':') ? ['nodad'] : []));
  ns.ip('link', 'set', 'e0', 'up');
  for (const r of desired.routes) ns.ip('route', 'add', r.prefix, 'via', r.via!, 'dev', 'e0');
  const publicKeys = new Map<string, string>();
  for (const [i, w] of desired.wireguard.entries()) {
    const keys = keyPair();
    publicKeys.set(w.name, keys.publicKey);
    const wg = await WgGo.start(lab, ns, `bgp${lab.id}n${i}`, w.hostInterface!);
    wg.configure(lab, {
      privateKey: keys.privateKey,
      listenPort: w.listenPort,
      peers: w.peers.map((p) => ({
        publicKey: p.publicKey,
        allowedIps: p.allowedIps,
        ...(p.endpoint ? { endpoint: `${p.endpoint.address}:${p.endpoint.port}` } : {}),
        ...(p.persistentKeepalive ? { keepalive: p.persistentKeepalive } : {}),
      })),
    });
    wg.address(w.addresses, w.mtu ?? 1420);
  }
  return { ns, publicKeys };
}

const FRR_DAEMONS = '/usr/lib/frr';

/** What this machine lacks to run FRR (Debian frr) beside the lab, or undefined. */
export function frrMissing(): string | undefined {
  for (const d of ['zebra', 'bgpd'])
    if (!existsSync(join(FRR_DAEMONS, d))) return `not installed: ${FRR_DAEMONS}/${d} (Debian frr)`;
  if (!installed('vtysh')) return 'not installed: vtysh (Debian frr)';
  if (spawnSync('id', ['-u', 'frr']).status !== 0) return 'no user frr (Debian frr makes it; its daemons run as it)';
  return undefined;
}

/**
 * FRR in a namespace: zebra (which puts bgpd's routes in the kernel) and bgpd with `config`, in the
 * foreground, their vty sockets in a directory of their own (owned by the frr user the daemons run
 * as), no TCP vty; asked through `vtysh --vty_socket`.
 */
export class Frr {
  private constructor(readonly dir: string) {}

  static async start(lab: Lab, ns: Netns, config: string): Promise<Frr> {
    const dir = mkdtempSync(join(tmpdir(), 'vppwg-bgp-frr-'));
    lab.onDispose(`FRR's directory ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'zebra.conf'), 'hostname vppwg-lab\n');
    writeFileSync(join(dir, 'bgpd.conf'), config);
    execFileSync('chown', ['-R', 'frr:frr', dir]);
    const common = (d: string) => [
      join(FRR_DAEMONS, d),
      '-f',
      join(dir, `${d}.conf`),
      '-i',
      join(dir, `${d}.pid`),
      '-z',
      join(dir, 'zserv.api'),
      '--vty_socket',
      dir,
      '-P',
      '0',
      '--log',
      `file:${join(dir, `${d}.log`)}`,
    ];
    const frr = new Frr(dir);
    for (const d of ['zebra', 'bgpd']) {
      const child = lab.spawn(ns, `frr-${d}.out`, common(d));
      await until(`FRR's ${d} to answer on ${dir}`, 10_000, () => {
        if (child.exitCode !== null) throw new Error(`FRR's ${d} exited: ${lab.logTail(`frr-${d}.out`)}`);
        return existsSync(join(dir, `${d}.vty`)) &&
          spawnSync('vtysh', ['--vty_socket', dir, '-d', d, '-c', 'show version']).status === 0
          ? true
          : undefined;
      });
    }
    return frr;
  }

  /** A vtysh command; throws with vtysh's answer when it fails. */
  cmd(command: string): string {
    return execFileSync('vtysh', ['--vty_socket', this.dir, '-c', command], { encoding: 'utf8' });
  }

  /** The BGP state of each neighbour, by address (show bgp neighbors json). */
  neighbours(): Record<string, string> {
    const all = JSON.parse(this.cmd('show bgp neighbors json')) as Record<string, { bgpState?: string }>;
    return Object.fromEntries(Object.entries(all).map(([n, v]) => [n, v.bgpState ?? '?']));
  }

  established(neighbour: string): boolean {
    return this.neighbours()[neighbour] === 'Established';
  }

  log(): string {
    return ['zebra', 'bgpd']
      .map((d) => {
        const f = join(this.dir, `${d}.log`);
        return existsSync(f) ? readFileSync(f, 'utf8').split('\n').slice(-20).join('\n') : `(no ${d}.log)`;
      })
      .join('\n');
  }
}
