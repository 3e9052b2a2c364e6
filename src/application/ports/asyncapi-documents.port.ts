import { JsonObject } from '../../domain/json';

/**
 * A parsed AsyncAPI document (2.6 or 3.0) reduced to what a call needs, the same shape for both
 * versions: plain data, so the application never sees the parser's model.
 */
export interface AsyncApiModel {
  /** The document's `asyncapi` version, e.g. `3.0.0` or `2.6.0`. */
  readonly version: string;
  readonly servers: readonly AsyncApiServer[];
  readonly channels: readonly AsyncApiChannel[];
  readonly operations: readonly AsyncApiOperation[];
}

export interface AsyncApiServer {
  readonly name: string;
  /** Lower case, as the document gives it (the broker adapter decides which it speaks). */
  readonly protocol: string;
  /** `host[:port]`, server variables still as `{name}`. */
  readonly host: string;
  /** The server's variables with their default and allowed values. */
  readonly variables: Readonly<Record<string, { default?: string; enum?: readonly string[] }>>;
}

export interface AsyncApiMessage {
  /** The message's id in the document (`<anonymous-message-N>` when it has none). */
  readonly name: string;
  /** The payload's JSON schema, when the document gives one. */
  readonly payload?: JsonObject;
  /** The headers' JSON schema, when the document gives one. */
  readonly headers?: JsonObject;
}

export interface AsyncApiChannel {
  /** The channel's key in the document (in 2.6 also its address). */
  readonly name: string;
  /** Where messages go (`orders.{region}`); null when the document leaves it to run time. */
  readonly address: string | null;
  readonly messages: readonly AsyncApiMessage[];
  /** The servers the channel is on (empty: all of them). */
  readonly servers: readonly string[];
}

export interface AsyncApiOperation {
  /** The operation's key (3.0) or `operationId` (2.6). */
  readonly id: string;
  /** 3.0 `send` / `receive`; 2.6 `publish` / `subscribe`. */
  readonly action: string;
  readonly channel: AsyncApiChannel;
  /** The operation's messages (all of its channel's when it names none). */
  readonly messages: readonly AsyncApiMessage[];
  /** A 3.0 operation's `reply`: a reply is expected; `address` is where, if the document fixes it. */
  readonly reply?: { readonly address: string | null };
}

/**
 * Loads AsyncAPI documents per tenant and URL (fetched like any outbound call, parsed, cached with
 * a bound). Throws a `communication` WorkflowError (DOCUMENT_FAILED) when the document cannot be
 * fetched, a `configuration` one when it is not a valid AsyncAPI 2.6 / 3.0 document, and a
 * `timeout` one when it takes too long.
 */
export interface AsyncApiDocuments {
  load(tenant: string, url: string, signal?: AbortSignal): Promise<AsyncApiModel>;
}
