import { JsonObject } from '../../../domain/json';
import { isWorkflowError, WorkflowError } from '../../../domain/workflow-error';
import { TaskContext } from '../../ports/task-handler.port';
import { AuthTarget, Authentication } from './authentication';
import { OutboundCall } from './outbound-calls';

/**
 * A failure that carries the output it should be reported with (a non-2xx answer's status and
 * body, a GraphQL answer's partial data). Anything else a call throws is a WorkflowError.
 */
export class CallFailure extends Error {
  constructor(
    readonly error: WorkflowError,
    readonly output: unknown = {},
  ) {
    super(error.detail);
  }
}

/** `error` with another detail, caused by itself. */
export function withDetail(error: WorkflowError, detail: string): WorkflowError {
  return error.with({ detail, cause: error });
}

/** The WorkflowError a call threw, or the one a CallFailure carries; anything else is thrown on. */
export function asWorkflowError(error: unknown): WorkflowError {
  if (isWorkflowError(error)) return error;
  if (error instanceof CallFailure) return error.error;
  throw error;
}

/** What the call handler hands a protocol for one call. */
export interface ProtocolCall {
  readonly context: TaskContext;
  /**
   * The call's parameters, flattened (`with` merged in, `call` given as `call_type`) and resolved,
   * without `output` / `output_config` (the handler applies those to what `call` returns).
   */
  readonly parameters: JsonObject;
  /** The task's `authentication`, parsed; undefined when it gives none. */
  readonly authentication: Authentication | undefined;
  /** Milliseconds left before the task's deadline (at least 1). */
  readonly timeoutMs: number;
  /**
   * Applies `authentication` to a request's headers (and URL, for a query API key), fetching an
   * OAuth2 token when needed, and records the secrets it used so the outcome is redacted.
   */
  authenticate(target: AuthTarget): Promise<void>;
  /** Records a value that must never leave the process (a credential the protocol read itself). */
  addSecret(value: string): void;
  /**
   * Sends one outbound call through the rate limits and the audit log (docs/call-rate-limits.md):
   * waits for its slots within the deadline, runs `send` (the circuit breaker and the client), and
   * slows the host down when the answer asks. Throws what `send` throws, or RATE_LIMITED.
   */
  send<T>(call: OutboundCall<T>, send: () => Promise<T>): Promise<T>;
}

/**
 * One call protocol beside HTTP and OpenAPI (`call_type: grpc`, `asyncapi`, `graphql`). The call
 * handler resolves the parameters, parses the authentication, applies `output.as`, and redacts every
 * secret from the outcome; the protocol validates its own parameters and makes the call, through
 * the circuit breaker and the outbound address policy like HTTP calls do.
 */
export interface CallProtocol {
  /** The `call_type` it serves, lower case. */
  readonly callType: string;
  /**
   * The task's input as the outcome reports it (`resolved_input`): the call's target and arguments.
   * The handler strips `authentication` and redacts secrets from it.
   */
  describe(parameters: JsonObject): JsonObject;
  /**
   * The task's authentication as given, when the protocol reads it from somewhere else than
   * `authentication` (gRPC: also `service.authentication`); throws a `configuration` WorkflowError
   * when it is ambiguous. Absent: `authentication`.
   */
  authenticationOf?(parameters: JsonObject): unknown;
  /**
   * Makes the call and returns its output. Throws a `configuration` WorkflowError for bad
   * parameters, another WorkflowError for a failed call, or a CallFailure to keep an output.
   */
  call(call: ProtocolCall): Promise<unknown>;
}
