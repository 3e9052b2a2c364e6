/**
 * Where a message goes: a broker the document names, with the task's credentials. `protocol` is the
 * document's (lower case); the adapter refuses one it does not speak with a `configuration` error.
 */
export interface BrokerTarget {
  readonly protocol: string;
  /** `host:port` (server variables applied). */
  readonly host: string;
  readonly username?: string;
  readonly password?: string;
  /** A bearer token, for brokers that take one. */
  readonly token?: string;
}

export interface OutgoingMessage {
  /** The channel address (queue, topic or broker-specific name). */
  readonly address: string;
  /** Sent as JSON (a string as itself). */
  readonly payload: unknown;
  readonly headers: Readonly<Record<string, string>>;
}

export interface ReceivedMessage {
  /** JSON when the bytes parse as JSON, else the text. */
  readonly payload: unknown;
  readonly headers: Record<string, string>;
}

export interface BrokerCallOptions {
  /**
   * The task's tenant: one tenant holds at most its share of the cached connections (a connection
   * shared with other tenants counts for each of them).
   */
  readonly tenant: string;
  /** The whole exchange, connecting included, in ms. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface ReplyOptions extends BrokerCallOptions {
  /** Where the reply is expected, when the document fixes it; else the adapter picks a private address. */
  readonly replyAddress?: string | null;
}

/**
 * Publishing to message brokers, with one cached connection per broker and credentials (bounded,
 * closed on shutdown). Throws a WorkflowError: `configuration` for a protocol it does not speak,
 * ADDRESS_DENIED when the outbound address policy refuses the broker's address, `communication`
 * (NETWORK, retryable) when the broker cannot be reached or refuses the message, or when no
 * connection is free for the tenant (all it may hold, or all the cache holds, busy), `authentication`
 * when it refuses the credentials, `timeout` (TIMEOUT) when no reply came in time, CANCELLED when
 * `signal` aborted. Nothing is retried inside: publishing is not idempotent.
 */
export interface MessageBrokers {
  /** The protocols it speaks, lower case, for error messages. */
  protocols(): readonly string[];
  /** The port a broker of `protocol` listens on when its server names none; undefined for a protocol it does not speak. */
  defaultPort(protocol: string): number | undefined;
  /** Resolves once the broker accepted the message. */
  publish(target: BrokerTarget, message: OutgoingMessage, options: BrokerCallOptions): Promise<void>;
  /**
   * Publishes with a correlation id and a reply address, and resolves with the first message that
   * comes back to that address carrying the same correlation id.
   */
  request(target: BrokerTarget, message: OutgoingMessage, options: ReplyOptions): Promise<ReceivedMessage>;
  /** Closes every connection. Idempotent. */
  close(): Promise<void>;
}

/** Validates a value against a JSON schema (draft 7 / 2020-12 as documents use them). */
export interface PayloadValidator {
  /** The violations found (empty when the value matches), each at a JSON pointer into the value. */
  validate(schema: Readonly<Record<string, unknown>>, value: unknown): SchemaViolation[];
}

export interface SchemaViolation {
  /** Where in the value, e.g. `/items/0/id` (`` for the root). */
  readonly pointer: string;
  /** The schema keyword that failed, e.g. `type`, `required`. */
  readonly rule: string;
  /** What the rule wants, never the value itself (e.g. `must be string`). */
  readonly message: string;
}
