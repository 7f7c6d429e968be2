import * as $protobuf from 'protobufjs';
import Long = require('long');
export namespace vppwg {
  namespace v1 {
    interface IRequest {
      id?: number | null;
      getStatus?: vppwg.v1.IGetStatusRequest | null;
      getDesiredState?: vppwg.v1.IGetStateRequest | null;
      getActualState?: vppwg.v1.IGetStateRequest | null;
      plan?: vppwg.v1.IPlanRequest | null;
      apply?: vppwg.v1.IApplyRequest | null;
      subscribe?: vppwg.v1.ISubscribeRequest | null;
      unsubscribe?: vppwg.v1.IUnsubscribeRequest | null;
    }

    class Request implements IRequest {
      constructor(properties?: vppwg.v1.IRequest);
      public id: number;
      public getStatus?: vppwg.v1.IGetStatusRequest | null;
      public getDesiredState?: vppwg.v1.IGetStateRequest | null;
      public getActualState?: vppwg.v1.IGetStateRequest | null;
      public plan?: vppwg.v1.IPlanRequest | null;
      public apply?: vppwg.v1.IApplyRequest | null;
      public subscribe?: vppwg.v1.ISubscribeRequest | null;
      public unsubscribe?: vppwg.v1.IUnsubscribeRequest | null;
      public body?: 'getStatus' | 'getDesiredState' | 'getActualState' | 'plan' | 'apply' | 'subscribe' | 'unsubscribe';
      public static encode(message: vppwg.v1.IRequest, writer?: $protobuf.Writer): $protobuf.Writer;
      public static decode(reader: $protobuf.Reader | Uint8Array, length?: number): vppwg.v1.Request;
      public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IResponse {
      id?: number | null;
      ok?: boolean | null;
      error?: vppwg.v1.IError | null;
      status?: vppwg.v1.IStatus | null;
      desiredState?: vppwg.v1.IStateDocument | null;
      actualState?: vppwg.v1.IStateDocument | null;
      plan?: vppwg.v1.IPlanResult | null;
      apply?: vppwg.v1.IApplyResult | null;
      subscribed?: vppwg.v1.ISubscribed | null;
      event?: vppwg.v1.IEvent | null;
      unsubscribed?: vppwg.v1.IUnsubscribed | null;
    }

    class Response implements IResponse {
      constructor(properties?: vppwg.v1.IResponse);
      public id: number;
      public ok: boolean;
      public error?: vppwg.v1.IError | null;
      public status?: vppwg.v1.IStatus | null;
      public desiredState?: vppwg.v1.IStateDocument | null;
      public actualState?: vppwg.v1.IStateDocument | null;
      public plan?: vppwg.v1.IPlanResult | null;
      public apply?: vppwg.v1.IApplyResult | null;
      public subscribed?: vppwg.v1.ISubscribed | null;
      public event?: vppwg.v1.IEvent | null;
      public unsubscribed?: vppwg.v1.IUnsubscribed | null;
      public body?:
        'status' | 'desiredState' | 'actualState' | 'plan' | 'apply' | 'subscribed' | 'event' | 'unsubscribed';
      public static encode(message: vppwg.v1.IResponse, writer?: $protobuf.Writer): $protobuf.Writer;
      public static decode(reader: $protobuf.Reader | Uint8Array, length?: number): vppwg.v1.Response;
      public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IError {
      code?: string | null;
      message?: string | null;
      diagnostics?: vppwg.v1.IDiagnostic[] | null;
    }

    class Error implements IError {
      constructor(properties?: vppwg.v1.IError);
      public code: string;
      public message: string;
      public diagnostics: vppwg.v1.IDiagnostic[];
      public static encode(message: vppwg.v1.IError, writer?: $protobuf.Writer): $protobuf.Writer;
      public static decode(reader: $protobuf.Reader | Uint8Array, length?: number): vppwg.v1.Error;
      public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IDiagnostic {
      severity?: string | null;
      file?: string | null;
      line?: number | null;
      column?: number | null;
      path?: string | null;
      message?: string | null;
    }

    class Diagnostic implements IDiagnostic {
      constructor(properties?: vppwg.v1.IDiagnostic);
      public severity: string;
      public file: string;
      public line: number;
      public column: number;
      public path: string;
      public message: string;
      public static encode(message: vppwg.v1.IDiagnostic, writer?: $protobuf.Writer): $protobuf.Writer;
      public static decode(reader: $protobuf.Reader | Uint8Array, length?: number): vppwg.v1.Diagnostic;
      public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IGetStatusRequest {}

    class GetStatusRequest implements IGetStatusRequest {
      constructor(properties?: vppwg.v1.IGetStatusRequest);
      public static encode(message: vppwg.v1.IGetStatusRequest, writer?: $protobuf.Writer): $protobuf.Writer;
      public static decode(reader: $protobuf.Reader | Uint8Array, length?: number): vppwg.v1.GetStatusRequest;
      public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IGetStateRequest {}

    class GetStateRequest implements IGetStateRequest {
      constructor(properties?: vppwg.v1.IGetStateRequest);
      public static encode(message: vppwg.v1.IGetStateRequest, writer?: $protobuf.Writer): $protobuf.Writer;
      public static decode(reader: $protobuf.Reader | Uint8Array, length?: number): vppwg.v1.GetStateRequest;
      public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IPlanRequest {
      document?: string | null;
      name?: string | null;
      baseDir?: string | null;
    }

    class PlanRequest implements IPlanRequest {
      constructor(properties?: vppwg.v1.IPlanRequest);
      public document: string;
      public name: string;
      public baseDir: string;
      public static encode(message: vppwg.v1.IPlanRequest, writer?: $protobuf.Writer): $protobuf.Writer;
      public static decode(reader: $protobuf.Reader | Uint8Array, length?: number): vppwg.v1.PlanRequest;
      public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IApplyRequest {
      document?: string | null;
      name?: string | null;
      baseDir?: string | null;
      noRollback?: boolean | null;
      dryRun?: boolean | null;
    }

    class ApplyRequest implements IApplyRequest {
      constructor(properties?: vppwg.v1.IApplyRequest);
      public document: string;
      public name: string;
      public baseDir: string;
      public noRollback: boolean;
      public dryRun: boolean;
      public static encode(message: vppwg.v1.IApplyRequest, writer?: $protobuf.Writer): $protobuf.Writer;
      public static decode(reader: $protobuf.Reader | Uint8Array, length?: number): vppwg.v1.ApplyRequest;
      public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface ISubscribeRequest {
      kinds?: vppwg.v1.EventKind[] | null;
    }

    class SubscribeRequest implements ISubscribeRequest {
      constructor(properties?: vppwg.v1.ISubscribeRequest);
      public kinds: vppwg.v1.EventKind[];
      public static encode(message: vppwg.v1.ISubscribeRequest, writer?: $protobuf.Writer): $protobuf.Writer;
      public static decode(reader: $protobuf.Reader | Uint8Array, length?: number): vppwg.v1.SubscribeRequest;
      public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IUnsubscribeRequest {
      subscriptionId?: number | null;
    }

    class UnsubscribeRequest implements IUnsubscribeRequest {
      constructor(properties?: vppwg.v1.IUnsubscribeRequest);
      public subscriptionId: number;
      public static encode(message: vppwg.v1.IUnsubscribeRequest, writer?: $protobuf.Writer): $protobuf.Writer;
      public static decode(reader: $protobuf.Reader | Uint8Array, length?: number): vppwg.v1.UnsubscribeRequest;
      public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface ISubscribed {}

    class Subscribed implements ISubscribed {
      constructor(properties?: vppwg.v1.ISubscribed);
      public static encode(message: vppwg.v1.ISubscribed, writer?: $protobuf.Writer): $protobuf.Writer;
      public static decode(reader: $protobuf.Reader | Uint8Array, length?: number): vppwg.v1.Subscribed;
      public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IUnsubscribed {}

    class Unsubscribed implements IUnsubscribed {
      constructor(properties?: vppwg.v1.IUnsubscribed);
      public static encode(message: vppwg.v1.IUnsubscribed, writer?: $protobuf.Writer): $protobuf.Writer;
      public static decode(reader: $protobuf.Reader | Uint8Array, length?: number): vppwg.v1.Unsubscribed;
      public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IStatus {
      vpp?: vppwg.v1.IVppStatus | null;
      lastReconcile?: vppwg.v1.IReconcileSummary | null;
      peers?: vppwg.v1.IPeerStatus[] | null;
      ready?: boolean | null;
      desiredSource?: string | null;
      configRejected?: vppwg.v1.IConfigRejection | null;
      driftRepairs?: number | Long | null;
      reconciles?: number | Long | null;
      startedAtMs?: number | Long | null;
      daemonVersion?: string | null;
      uplinks?: vppwg.v1.IUplinkStatus[] | null;
    }

    class Status implements IStatus {
      constructor(properties?: vppwg.v1.IStatus);
      public vpp?: vppwg.v1.IVppStatus | null;
      public lastReconcile?: vppwg.v1.IReconcileSummary | null;
      public peers: vppwg.v1.IPeerStatus[];
      public ready: boolean;
      public desiredSource: string;
      public configRejected?: vppwg.v1.IConfigRejection | null;
      public driftRepairs: number | Long;
      public reconciles: number | Long;
      public startedAtMs: number | Long;
      public daemonVersion: string;
      public uplinks: vppwg.v1.IUplinkStatus[];
      public static encode(message: vppwg.v1.IStatus, writer?: $protobuf.Writer): $protobuf.Writer;
      public static decode(reader: $protobuf.Reader | Uint8Array, length?: number): vppwg.v1.Status;
      public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IUplinkStatus {
      name?: string | null;
      vppName?: string | null;
      swIfIndex?: number | null;
      adminUp?: boolean | null;
      linkUp?: boolean | null;
      sinceMs?: number | Long | null;
      linkChanges?: number | null;
    }

    class UplinkStatus implements IUplinkStatus {
      constructor(properties?: vppwg.v1.IUplinkStatus);
      public name: string;
      public vppName: string;
      public swIfIndex: number;
      public adminUp: boolean;
      public linkUp: boolean;
      public sinceMs: number | Long;
      public linkChanges: number;
      public static encode(message: vppwg.v1.IUplinkStatus, writer?: $protobuf.Writer): $protobuf.Writer;
      public static decode(reader: $protobuf.Reader | Uint8Array, length?: number): vppwg.v1.UplinkStatus;
      public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IVppStatus {
      connected?: boolean | null;
      version?: string | null;
      socketPath?: string | null;
      sinceMs?: number | Long | null;
      connects?: number | null;
    }

    class VppStatus implements IVppStatus {
      constructor(properties?: vppwg.v1.IVppStatus);
      public connected: boolean;
      public version: string;
      public socketPath: string;
      public sinceMs: number | Long;
      public connects: number;
      public static encode(message: vppwg.v1.IVppStatus, writer?: $protobuf.Writer): $protobuf.Writer;
      public static decode(reader: $protobuf.Reader | Uint8Array, length?: number): vppwg.v1.VppStatus;
      public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IReconcileSummary {
      trigger?: string | null;
      ok?: boolean | null;
      finishedAtMs?: number | Long | null;
      durationMs?: number | null;
      summary?: string | null;
      operations?: number | null;
      applied?: number | null;
      rolledBack?: boolean | null;
      verified?: boolean | null;
      error?: string | null;
    }

    class ReconcileSummary implements IReconcileSummary {
      constructor(properties?: vppwg.v1.IReconcileSummary);
      public trigger: string;
      public ok: boolean;
      public finishedAtMs: number | Long;
      public durationMs: number;
      public summary: string;
      public operations: number;
      public applied: number;
      public rolledBack: boolean;
      public verified: boolean;
      public error: string;
      public static encode(message: vppwg.v1.IReconcileSummary, writer?: $protobuf.Writer): $protobuf.Writer;
      public static decode(reader: $protobuf.Reader | Uint8Array, length?: number): vppwg.v1.ReconcileSummary;
      public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IPeerStatus {
      interface?: string | null;
      name?: string | null;
      publicKey?: string | null;
      peerIndex?: number | null;
      swIfIndex?: number | null;
      established?: boolean | null;
      sinceMs?: number | Long | null;
      lastEventFlags?: number | null;
      lastEventAtMs?: number | Long | null;
      lastHandshakeAtMs?: number | Long | null;
    }

    class PeerStatus implements IPeerStatus {
      constructor(properties?: vppwg.v1.IPeerStatus);
      public interface: string;
      public name: string;
      public publicKey: string;
      public peerIndex: number;
      public swIfIndex: number;
      public established: boolean;
      public sinceMs: number | Long;
      public lastEventFlags: number;
      public lastEventAtMs: number | Long;
      public lastHandshakeAtMs: number | Long;
      public static encode(message: vppwg.v1.IPeerStatus, writer?: $protobuf.Writer): $protobuf.Writer;
      public static decode(reader: $protobuf.Reader | Uint8Array, length?: number): vppwg.v1.PeerStatus;
      public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IConfigRejection {
      atMs?: number | Long | null;
      file?: string | null;
      diagnostics?: vppwg.v1.IDiagnostic[] | null;
    }

    class ConfigRejection implements IConfigRejection {
      constructor(properties?: vppwg.v1.IConfigRejection);
      public atMs: number | Long;
      public file: string;
      public diagnostics: vppwg.v1.IDiagnostic[];
      public static encode(message: vppwg.v1.IConfigRejection, writer?: $protobuf.Writer): $protobuf.Writer;
      public static decode(reader: $protobuf.Reader | Uint8Array, length?: number): vppwg.v1.ConfigRejection;
      public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IStateDocument {
      json?: string | null;
      text?: string | null;
    }

    class StateDocument implements IStateDocument {
      constructor(properties?: vppwg.v1.IStateDocument);
      public json: string;
      public text: string;
      public static encode(message: vppwg.v1.IStateDocument, writer?: $protobuf.Writer): $protobuf.Writer;
      public static decode(reader: $protobuf.Reader | Uint8Array, length?: number): vppwg.v1.StateDocument;
      public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IPlanResult {
      empty?: boolean | null;
      summary?: string | null;
      text?: string | null;
      json?: string | null;
      diagnostics?: vppwg.v1.IDiagnostic[] | null;
    }

    class PlanResult implements IPlanResult {
      constructor(properties?: vppwg.v1.IPlanResult);
      public empty: boolean;
      public summary: string;
      public text: string;
      public json: string;
      public diagnostics: vppwg.v1.IDiagnostic[];
      public static encode(message: vppwg.v1.IPlanResult, writer?: $protobuf.Writer): $protobuf.Writer;
      public static decode(reader: $protobuf.Reader | Uint8Array, length?: number): vppwg.v1.PlanResult;
      public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IApplyResult {
      ok?: boolean | null;
      plan?: vppwg.v1.IPlanResult | null;
      applied?: number | null;
      rolledBack?: boolean | null;
      verified?: boolean | null;
      durationMs?: number | null;
      error?: string | null;
    }

    class ApplyResult implements IApplyResult {
      constructor(properties?: vppwg.v1.IApplyResult);
      public ok: boolean;
      public plan?: vppwg.v1.IPlanResult | null;
      public applied: number;
      public rolledBack: boolean;
      public verified: boolean;
      public durationMs: number;
      public error: string;
      public static encode(message: vppwg.v1.IApplyResult, writer?: $protobuf.Writer): $protobuf.Writer;
      public static decode(reader: $protobuf.Reader | Uint8Array, length?: number): vppwg.v1.ApplyResult;
      public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    enum EventKind {
      EVENT_UNSPECIFIED = 0,
      RECONCILE_DONE = 1,
      DRIFT_REPAIRED = 2,
      PEER_UP = 3,
      PEER_DOWN = 4,
      VPP_CONNECTED = 5,
      VPP_LOST = 6,
      CONFIG_REJECTED = 7,
      PEER_REMOVED = 8,
      LINK_DOWN = 9,
      LINK_UP = 10,
    }

    interface IEvent {
      kind?: vppwg.v1.EventKind | null;
      atMs?: number | Long | null;
      message?: string | null;
      reconcile?: vppwg.v1.IReconcileSummary | null;
      peer?: vppwg.v1.IPeerStatus | null;
      vpp?: vppwg.v1.IVppStatus | null;
      configRejected?: vppwg.v1.IConfigRejection | null;
      uplink?: vppwg.v1.IUplinkStatus | null;
    }

    class Event implements IEvent {
      constructor(properties?: vppwg.v1.IEvent);
      public kind: vppwg.v1.EventKind;
      public atMs: number | Long;
      public message: string;
      public reconcile?: vppwg.v1.IReconcileSummary | null;
      public peer?: vppwg.v1.IPeerStatus | null;
      public vpp?: vppwg.v1.IVppStatus | null;
      public configRejected?: vppwg.v1.IConfigRejection | null;
      public uplink?: vppwg.v1.IUplinkStatus | null;
      public detail?: 'reconcile' | 'peer' | 'vpp' | 'configRejected' | 'uplink';
      public static encode(message: vppwg.v1.IEvent, writer?: $protobuf.Writer): $protobuf.Writer;
      public static decode(reader: $protobuf.Reader | Uint8Array, length?: number): vppwg.v1.Event;
      public static getTypeUrl(typeUrlPrefix?: string): string;
    }
  }
}
