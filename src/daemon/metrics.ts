/**
 * Prometheus metrics of the daemon. A registry per daemon instance (not prom-client's global one)
 * so that several daemons in one process (tests) do not collide.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class DaemonMetrics {
  readonly registry = new Registry();
  readonly reconciles: Counter<'result' | 'trigger'>;
  readonly reconcileDuration: Histogram<'trigger'>;
  readonly driftRepairs: Counter;
  readonly vppConnected: Gauge;
  readonly vppConnects: Counter;
  readonly apiCallDuration: Histogram<'message' | 'result'>;
  readonly peersEstablished: Gauge;
  readonly peersManaged: Gauge;
  readonly configRejections: Counter;
  readonly apiRequests: Counter<'request' | 'result'>;
  readonly uplinkLinkUp: Gauge<'uplink' | 'interface'>;
  readonly uplinkLinkChanges: Counter<'uplink'>;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.reconciles = new Counter({
      name: 'vppwg_reconciles_total',
      help: 'Reconciles by result (ok, noop, failed, rolled_back) and trigger',
      labelNames: ['result', 'trigger'],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: 'vppwg_reconcile_duration_seconds',
      help: 'Wall time of a reconcile (observe, plan, apply, verify)',
      labelNames: ['trigger'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.driftRepairs = new Counter({
      name: 'vppwg_drift_repairs_total',
      help: 'Drift checks that found VPP changed behind the agent and repaired it',
      registers,
    });
    this.vppConnected = new Gauge({
      name: 'vppwg_vpp_connected',
      help: '1 while connected to the VPP API socket',
      registers,
    });
    this.vppConnects = new Counter({
      name: 'vppwg_vpp_connects_total',
      help: 'Connections made to VPP (first connect and reconnects)',
      registers,
    });
    this.apiCallDuration = new Histogram({
      name: 'vppwg_vpp_api_call_duration_seconds',
      help: 'Latency of VPP binary-API calls by message',
      labelNames: ['message', 'result'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2],
      registers,
    });
    this.peersEstablished = new Gauge({
      name: 'vppwg_peers_established',
      help: 'Managed peers whose last known flags say ESTABLISHED',
      registers,
    });
    this.peersManaged = new Gauge({ name: 'vppwg_peers', help: 'Peers the agent manages', registers });
    this.configRejections = new Counter({
      name: 'vppwg_config_rejections_total',
      help: 'Desired-state files rejected by validation (the last good state stayed applied)',
      registers,
    });
    this.apiRequests = new Counter({
      name: 'vppwg_api_requests_total',
      help: 'Requests on the daemon API by type and result',
      labelNames: ['request', 'result'],
      registers,
    });
    this.uplinkLinkUp = new Gauge({
      name: 'vppwg_uplink_link_up',
      help: "1 while an uplink's link (carrier) is up as VPP reports it, 0 while down",
      labelNames: ['uplink', 'interface'],
      registers,
    });
    this.uplinkLinkChanges = new Counter({
      name: 'vppwg_uplink_link_changes_total',
      help: "Changes of an uplink's link state seen in VPP's interface events",
      labelNames: ['uplink'],
      registers,
    });
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'vppwg_' });
  }

  /** For a desired source backed by a store: 1 while it answers, read at each scrape. */
  watchStore(reachable: () => boolean): void {
    new Gauge({
      name: 'vppwg_store_reachable',
      help: '1 while the desired-state store (etcd in fleet mode) answers; 0: the last state stays applied',
      registers: [this.registry],
      collect() {
        this.set(reachable() ? 1 : 0);
      },
    });
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
