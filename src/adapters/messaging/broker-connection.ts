import { OutgoingMessage, ReceivedMessage } from '../../application/ports/message-brokers.port';
import { jsonTextTooDeep } from '../../domain/json-limits';
import { errors, WorkflowError } from '../../domain/workflow-error';

/** A broker's resolved address (checked against the address policy) and the credentials to use. */
export interface BrokerEndpoint {
  /** The name as the document gives it (for TLS names and messages). */
  readonly hostname: string;
  /** The address connected to: the one the policy checked, so DNS cannot change it in between. */
  readonly ip: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  readonly token?: string;
}

/** A reply as it came off the wire: decoded (within the limits) by the caller. */
export interface RawReply {
  readonly body: Uint8Array;
  readonly headers: Record<string, string>;
}

/** One open connection to one broker, shared by calls; `closed` once the broker or the cache closed it. */
export interface BrokerConnection {
  readonly closed: boolean;
  publish(message: OutgoingMessage, signal: AbortSignal): Promise<void>;
  /** Publishes with `correlationId` and resolves with the reply carrying it. */
  request(message: OutgoingMessage, correlationId: string, replyAddress: string | null, signal: AbortSignal): Promise<RawReply>;
  close(): Promise<void>;
}

/** Opens a connection for one protocol; rejects with a WorkflowError. */
export interface BrokerConnector {
  readonly protocol: string;
  readonly defaultPort: number;
  connect(endpoint: BrokerEndpoint, timeoutMs: number): Promise<BrokerConnection>;
}

/** NETWORK, retryable: the broker could not be reached or dropped the exchange. */
export function brokerUnreachable(detail: string, cause?: unknown): WorkflowError {
  return new WorkflowError({ kind: 'communication', code: 'NETWORK', title: 'Communication Failed', detail, status: 503, retryable: true, cause });
}

/** The broker refused the credentials: trying again with the same ones will not help. */
export function brokerRefusedCredentials(detail: string): WorkflowError {
  return new WorkflowError({ kind: 'authentication', code: 'AUTHENTICATION_FAILED', title: 'Authentication Failed', detail });
}

/** The policy's refusal, never retried: the same name resolves to the same refused address. */
export function brokerAddressDenied(host: string, address: string): WorkflowError {
  return new WorkflowError({
    kind: 'communication',
    code: 'ADDRESS_DENIED',
    title: 'Communication Failed',
    detail: `address ${address} of ${host} is not allowed (CALL_DENY_PRIVATE_NETWORKS)`,
    status: 502,
    retryable: false,
  });
}

/** Every payload travels as JSON. */
export function encodePayload(payload: unknown): Buffer {
  return Buffer.from(JSON.stringify(payload ?? null), 'utf8');
}

/** How much of a reply is accepted before it is decoded. */
export interface ReplyLimits {
  /** Largest reply body, in bytes (HTTP_MAX_RESPONSE_BYTES). */
  readonly maxBytes: number;
  /** Deepest nesting of arrays and objects in a JSON reply (EXECUTOR_MAX_JSON_DEPTH). */
  readonly maxJsonDepth: number;
}

/**
 * The reply's payload: JSON when it parses, else the text. A body over the size limit, or JSON
 * nesting deeper than the depth limit, is refused before it is parsed (RESPONSE_TOO_LARGE,
 * RESPONSE_TOO_DEEP; not retryable: the responder would answer the same).
 */
export function decodeReply(reply: RawReply, limits: ReplyLimits, address: string): ReceivedMessage {
  const { maxBytes, maxJsonDepth } = limits;
  if (reply.body.length > maxBytes) {
    throw new WorkflowError({ kind: 'communication', code: 'RESPONSE_TOO_LARGE', title: 'Response Too Large', detail: `the reply to ${address} is ${reply.body.length} bytes, more than the limit of ${maxBytes} bytes (HTTP_MAX_RESPONSE_BYTES)`, status: 502, retryable: false, data: { limit: maxBytes } });
  }
  const text = Buffer.from(reply.body.buffer, reply.body.byteOffset, reply.body.byteLength).toString('utf8');
  if (jsonTextTooDeep(text, maxJsonDepth)) {
    throw new WorkflowError({ kind: 'communication', code: 'RESPONSE_TOO_DEEP', title: 'Response Too Deeply Nested', detail: `the reply to ${address} nests deeper than ${maxJsonDepth} levels of arrays and objects (EXECUTOR_MAX_JSON_DEPTH)`, status: 502, retryable: false, data: { limit: maxJsonDepth } });
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text) as unknown;
  } catch {
    payload = text;
  }
  return { payload, headers: reply.headers };
}

/** Aborts with TIMEOUT after `timeoutMs`, or with the caller's reason (CANCELLED). */
export function deadlineSignal(timeoutMs: number, outer: AbortSignal | undefined, what: string): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(errors.timeout(`${what} timed out after ${timeoutMs} ms`)), timeoutMs);
  const onAbort = (): void => controller.abort(outer?.reason instanceof WorkflowError ? outer.reason : errors.cancelled(`task cancelled during ${what}`));
  if (outer?.aborted) onAbort();
  else outer?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}

