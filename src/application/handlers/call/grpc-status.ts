import { errorKindForStatus, WorkflowError } from '../../../domain/workflow-error';

/** What a gRPC status means to a workflow (docs/call-grpc.md, the status table). */
export interface GrpcStatusMeaning {
  readonly name: string;
  /** The HTTP status of the same meaning (as gRPC's own HTTP mapping gives it): what a `try` matches on. */
  readonly status: number;
  /** A `try` retry can succeed: the service was unavailable, slow or busy, or the transaction aborted. */
  readonly retryable: boolean;
  /** Counts against the circuit of the target: the service is failing, not the request. */
  readonly breaksCircuit: boolean;
}

function meaning(name: string, status: number, retryable: boolean, breaksCircuit: boolean): GrpcStatusMeaning {
  return { name, status, retryable, breaksCircuit };
}

/** By code: 0 OK to 16 UNAUTHENTICATED. */
export const GRPC_STATUS: readonly GrpcStatusMeaning[] = [
  meaning('OK', 200, false, false),
  meaning('CANCELLED', 499, false, false),
  meaning('UNKNOWN', 500, false, true),
  meaning('INVALID_ARGUMENT', 400, false, false),
  meaning('DEADLINE_EXCEEDED', 504, true, true),
  meaning('NOT_FOUND', 404, false, false),
  meaning('ALREADY_EXISTS', 409, false, false),
  meaning('PERMISSION_DENIED', 403, false, false),
  meaning('RESOURCE_EXHAUSTED', 429, true, true),
  meaning('FAILED_PRECONDITION', 400, false, false),
  meaning('ABORTED', 409, true, false),
  meaning('OUT_OF_RANGE', 400, false, false),
  meaning('UNIMPLEMENTED', 501, false, false),
  meaning('INTERNAL', 500, false, true),
  meaning('UNAVAILABLE', 503, true, true),
  meaning('DATA_LOSS', 500, false, false),
  meaning('UNAUTHENTICATED', 401, false, false),
];

/** A code outside 0–16 (a broken peer) is treated as UNKNOWN, as gRPC libraries do. */
export function grpcStatusMeaning(code: number): GrpcStatusMeaning {
  return GRPC_STATUS[code] ?? (GRPC_STATUS[2] as GrpcStatusMeaning);
}

/**
 * The workflow error of a failed gRPC call. Its kind follows the HTTP status of the same meaning,
 * as for HTTP calls (400 `validation`, 401 `authentication`, 403 `authorization`, else
 * `communication`), so one `catch.errors.with` filter serves both protocols; `data` names the gRPC
 * status.
 */
export function grpcStatusError(code: number, details: string, data: Record<string, unknown>): WorkflowError {
  const m = grpcStatusMeaning(code);
  const message = details.trim() === '' ? '' : `: ${details}`;
  return new WorkflowError({
    kind: errorKindForStatus(m.status),
    code: 'GRPC_STATUS',
    title: 'gRPC Call Failed',
    detail: `gRPC call failed with status ${m.name} (${code})${message}`,
    status: m.status,
    retryable: m.retryable,
    data: { ...data, grpc_status: m.name, grpc_code: code },
  });
}
