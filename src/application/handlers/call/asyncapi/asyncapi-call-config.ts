import { isPlainObject, JsonObject } from '../../../../domain/json';
import { errors, WorkflowError } from '../../../../domain/workflow-error';

/**
 * `call: asyncapi` as the Serverless Workflow DSL 1.0 shapes it (`with` flattened by the handler):
 * `document.endpoint`, one of `operation` (AsyncAPI 3.0) or `channel` (2.6), a `message` to publish,
 * an optional `subscription` to wait for the reply, `server` ({name, variables}) and `protocol`.
 */
export interface AsyncApiCallConfig {
  readonly documentUrl: string;
  /** Exactly one of `operation` and `channel`. */
  readonly operation?: string;
  readonly channel?: string;
  readonly server?: { readonly name?: string; readonly variables: Readonly<Record<string, string>> };
  /** Restricts the servers to those speaking this protocol (lower case). */
  readonly protocol?: string;
  readonly message: { readonly payload: unknown; readonly headers: Readonly<Record<string, string>> };
  /** True when the task waits for the reply (`subscription` given, or the operation declares a `reply`). */
  readonly subscribe: boolean;
}

function invalid(detail: string): WorkflowError {
  return errors.configuration(`asyncapi call configuration validation failed: ${detail}`);
}

function optionalName(raw: JsonObject, key: string): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') throw invalid(`${key} must be a non-empty string`);
  return value;
}

function documentUrlOf(raw: unknown): string {
  const endpoint = isPlainObject(raw) ? raw['endpoint'] ?? raw['uri'] : raw;
  const url = isPlainObject(endpoint) ? endpoint['uri'] : endpoint;
  if (typeof url !== 'string' || url === '') throw invalid('document.endpoint is required (the AsyncAPI document’s URL)');
  return url;
}

function stringMap(raw: unknown, what: string): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (!isPlainObject(raw)) throw invalid(`${what} must be an object`);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === null || value === undefined) continue;
    out[key] = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  }
  return out;
}

function serverOf(raw: unknown): AsyncApiCallConfig['server'] {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string' && raw !== '') return { name: raw, variables: {} };
  if (!isPlainObject(raw)) throw invalid('server must be a name or {name, variables}');
  const name = optionalName(raw, 'name');
  return { ...(name === undefined ? {} : { name }), variables: stringMap(raw['variables'], 'server.variables') };
}

/**
 * The reply subscription: only the message correlated with the request is awaited, so `filter` and
 * any `consume` other than one message are refused rather than silently ignored.
 */
function checkSubscription(raw: unknown): void {
  if (!isPlainObject(raw)) throw invalid('subscription must be an object');
  if (raw['filter'] !== undefined) throw invalid('subscription.filter is not supported: the reply is the message correlated with the request');
  const consume = raw['consume'];
  if (consume === undefined || consume === null) return;
  if (!isPlainObject(consume) || consume['amount'] !== 1 || Object.keys(consume).length !== 1) {
    throw invalid('subscription.consume supports only {amount: 1} (one correlated reply)');
  }
}

export function parseAsyncApiCall(raw: JsonObject): AsyncApiCallConfig {
  const documentUrl = documentUrlOf(raw['document']);
  const operation = optionalName(raw, 'operation');
  const channel = optionalName(raw, 'channel');
  if ((operation === undefined) === (channel === undefined)) throw invalid('exactly one of operation (AsyncAPI 3.0) and channel (2.6) is required');
  const message = raw['message'];
  const subscription = raw['subscription'];
  if (message === undefined || message === null) {
    throw invalid(subscription === undefined ? 'message is required' : 'a subscription without a message is not supported: the task publishes a message and may wait for its reply');
  }
  if (!isPlainObject(message)) throw invalid('message must be an object ({payload, headers})');
  const subscribe = subscription !== undefined && subscription !== null;
  if (subscribe) checkSubscription(subscription);
  const protocol = optionalName(raw, 'protocol')?.toLowerCase();
  const server = serverOf(raw['server']);
  return {
    documentUrl,
    ...(operation === undefined ? {} : { operation }),
    ...(channel === undefined ? {} : { channel }),
    ...(server === undefined ? {} : { server }),
    ...(protocol === undefined ? {} : { protocol }),
    message: { payload: message['payload'] ?? null, headers: stringMap(message['headers'], 'message.headers') },
    subscribe,
  };
}
