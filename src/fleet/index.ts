/**
 * Fleet mode: many VPP appliances described in etcd. The daemon uses createFleetSource (a
 * DesiredSource); the `vppwg fleet` commands use the operator functions of ./admin.
 */
export {
  createFleetSource,
  EtcdDesiredSource,
  FleetStartError,
  type FleetSource,
  type FleetSourceOptions,
} from './source';
export { NodeClaimedError } from './claim';
export { StoreConfigError } from './store';
export { DEFAULT_PREFIX, FleetLayout } from './layout';
export type { FleetNodeStatus } from './model';
