import { JsonObject } from '../../domain/json';

/** Where a gRPC service listens. */
export interface GrpcTarget {
  host: string;
  port: number;
  /** Connect with TLS (the system's trusted roots). */
  tls: boolean;
}

/**
 * A method found in a loaded `.proto` document, ready to be called. Adapters keep what they need
 * to call it (the loaded definition) behind this.
 */
export interface GrpcMethod {
  /** Fully qualified service name (`package.Service`). */
  readonly service: string;
  readonly method: string;
  /** `one`: a unary method; `many`: the server answers with a sequence of messages, collected. */
  readonly responses: 'one' | 'many';
}

export interface GrpcCallRequest {
  /**
   * The task's tenant: one tenant holds at most its share of the open channels (a channel shared
   * with other tenants counts for each of them).
   */
  tenant: string;
  target: GrpcTarget;
  /** The request message as JSON (field names as the `.proto` spells them). */
  message: JsonObject;
  /** Request metadata, names in lower case (authentication included). */
  metadata: Record<string, string>;
  /** The call's deadline, in ms from now. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * How a call ended. A status other than OK is an answer, never an exception (like an HTTP status):
 * the caller maps it to a workflow error and decides what counts against the circuit.
 */
export interface GrpcReply {
  /** The gRPC status code (0 OK … 16 UNAUTHENTICATED). */
  code: number;
  /** The status message the server (or the library) gave; empty on OK. */
  details: string;
  /** The answer's messages as JSON: one for a unary method, all collected for `many`. */
  messages: unknown[];
  /** Response metadata (headers and trailers), names in lower case; binary values left out. */
  metadata: Record<string, string[]>;
}

/**
 * Outbound gRPC calls (`call: grpc`): `.proto` documents loaded and cached per tenant, one channel
 * per target, the outbound address policy applied before connecting.
 */
export interface GrpcClient {
  /**
   * The method `service`/`method` of the `.proto` document at `proto` (an http(s) URL, fetched
   * through the outbound HTTP client, or a path under the configured proto directory), loaded for
   * `tenant` and cached. Throws a `configuration` WorkflowError for an unknown service or method, a
   * method whose client sends a sequence of messages, a path not allowed or a document that does not
   * parse; a `communication` one (DOCUMENT_FAILED) when the document cannot be fetched.
   */
  method(tenant: string, proto: string, service: string, method: string, timeoutMs: number, signal?: AbortSignal): Promise<GrpcMethod>;
  /**
   * Calls `method` once (never resent by the adapter). Any gRPC status is a reply; throws a
   * WorkflowError when the call could not be made: ADDRESS_DENIED, NETWORK (retryable) when no channel
   * is free for the tenant (all it may hold, or all the client holds, busy), RESPONSE_TOO_LARGE (more messages
   * or bytes than allowed), CANCELLED (the signal), `configuration` for a message that does not fit
   * the request type.
   */
  call(method: GrpcMethod, request: GrpcCallRequest): Promise<GrpcReply>;
  /** Closes every channel. Idempotent. */
  close(): Promise<void>;
}
