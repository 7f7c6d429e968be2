/**
 * Compile-time only: the message types of proto.ts (what decode returns: every scalar present, enums
 * by name) name exactly the fields that protobufjs-cli generates from vppwg.proto (gen/vppwg.d.ts,
 * by `npm run proto`). A field added, renamed or removed in the .proto fails `tsc` here, naming it.
 */
import type { vppwg } from './gen/vppwg';
import type {
  ApiDiagnostic,
  ApiError,
  ApplyResultMsg,
  ConfigRejectionMsg,
  DocumentRequest,
  EventKindName,
  EventMsg,
  PeerStatusMsg,
  PlanResultMsg,
  ReconcileSummaryMsg,
  RequestMsg,
  ResponseMsg,
  StateDocumentMsg,
  StatusMsg,
  VppStatusMsg,
} from './proto';

type Same<A, B> = [Exclude<A, B>, Exclude<B, A>] extends [never, never]
  ? true
  : { onlyInProtoTs: Exclude<A, B>; onlyInVppwgProto: Exclude<B, A> };
type SameFields<Ours, Generated> = Same<keyof Ours, keyof Generated>;
type V1 = typeof vppwg.v1;

const fieldsMatchVppwgProto: {
  diagnostic: SameFields<ApiDiagnostic, vppwg.v1.IDiagnostic>;
  error: SameFields<ApiError, vppwg.v1.IError>;
  vppStatus: SameFields<VppStatusMsg, vppwg.v1.IVppStatus>;
  reconcileSummary: SameFields<ReconcileSummaryMsg, vppwg.v1.IReconcileSummary>;
  peerStatus: SameFields<PeerStatusMsg, vppwg.v1.IPeerStatus>;
  configRejection: SameFields<ConfigRejectionMsg, vppwg.v1.IConfigRejection>;
  status: SameFields<StatusMsg, vppwg.v1.IStatus>;
  planResult: SameFields<PlanResultMsg, vppwg.v1.IPlanResult>;
  applyResult: SameFields<ApplyResultMsg, vppwg.v1.IApplyResult>;
  event: SameFields<EventMsg, vppwg.v1.IEvent>;
  stateDocument: SameFields<StateDocumentMsg, vppwg.v1.IStateDocument>;
  planRequest: SameFields<DocumentRequest, vppwg.v1.IPlanRequest>;
  applyRequest: SameFields<NonNullable<RequestMsg['apply']>, vppwg.v1.IApplyRequest>;
  subscribeRequest: SameFields<NonNullable<RequestMsg['subscribe']>, vppwg.v1.ISubscribeRequest>;
  unsubscribeRequest: SameFields<NonNullable<RequestMsg['unsubscribe']>, vppwg.v1.IUnsubscribeRequest>;
  request: SameFields<Omit<RequestMsg, 'body'>, vppwg.v1.IRequest>;
  response: SameFields<Omit<ResponseMsg, 'body'>, vppwg.v1.IResponse>;
  requestArms: Same<NonNullable<RequestMsg['body']>, NonNullable<vppwg.v1.Request['body']>>;
  responseArms: Same<NonNullable<ResponseMsg['body']>, NonNullable<vppwg.v1.Response['body']>>;
  eventKinds: Same<EventKindName, Exclude<keyof V1['EventKind'], 'EVENT_UNSPECIFIED'>>;
} = {
  diagnostic: true,
  error: true,
  vppStatus: true,
  reconcileSummary: true,
  peerStatus: true,
  configRejection: true,
  status: true,
  planResult: true,
  applyResult: true,
  event: true,
  stateDocument: true,
  planRequest: true,
  applyRequest: true,
  subscribeRequest: true,
  unsubscribeRequest: true,
  request: true,
  response: true,
  requestArms: true,
  responseArms: true,
  eventKinds: true,
};
// Read by tsc only: the assignment above is the check.
void fieldsMatchVppwgProto;
