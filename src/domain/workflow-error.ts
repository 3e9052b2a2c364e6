/**
 * RFC 7807 problem details with the eight Serverless Workflow error types.
 *
 * The kind of failure decides the type, the default status and whether a
 * retry can help; nothing here looks at message text (Go's executor classified errors by substrings).
 */
export const ERROR_TYPE_BASE = 'https://serverlessworkflow.io/spec/1.0.0/errors/';

export type ErrorKind =
  | 'configuration'
  | 'validation'
  | 'expression'
  | 'authentication'
  | 'authorization'
  | 'timeout'
  | 'communication'
  | 'runtime';

export const ERROR_KINDS: readonly ErrorKind[] = [
  'configuration',
  'validation',
  'expression',
  'authentication',
  'authorization',
  'timeout',
  'communication',
  'runtime',
];

const DEFAULT_STATUS: Record<ErrorKind, number> = {
  configuration: 400,
  validation: 400,
  expression: 400,
  authentication: 401,
  authorization: 403,
  timeout: 408,
  communication: 500,
  runtime: 500,
};

/** Stable UPPER_SNAKE codes that travel in `error_details.data.code`. */
export type ErrorCode =
  | 'INVALID_TASK'
  | 'MALFORMED_EVENT'
  | 'UNKNOWN_TASK_TYPE'
  | 'INVALID_CONFIGURATION'
  | 'INVALID_DURATION'
  | 'EXPRESSION_FAILED'
  | 'EXPRESSION_TIMEOUT'
  | 'EXPRESSION_LIMIT'
  | 'HTTP_4XX'
  | 'HTTP_5XX'
  | 'HTTP_3XX'
  | 'NETWORK'
  | 'TIMEOUT'
  | 'CANCELLED'
  | 'CIRCUIT_OPEN'
  | 'RESPONSE_TOO_LARGE'
  | 'RESPONSE_TOO_DEEP'
  /** A call's request body (multipart with its files, binary) would pass CALL_MAX_REQUEST_BYTES. */
  | 'REQUEST_TOO_LARGE'
  /** A file a call's body fetches by URL answered with a status other than 2xx (or ended short). */
  | 'FILE_FETCH_FAILED'
  | 'ADDRESS_DENIED'
  | 'DOCUMENT_FAILED'
  /** An OpenAPI call pins a document version (`document.version`) that the document is not at. */
  | 'DOCUMENT_VERSION_MISMATCH'
  | 'OPERATION_NOT_FOUND'
  | 'PARAMETER_MISSING'
  | 'AUTHENTICATION_FAILED'
  /** A task names a security scheme the OpenAPI document does not define. */
  | 'SECURITY_SCHEME_NOT_FOUND'
  /** An OpenAPI security scheme the executor cannot apply (OpenID Connect, OAuth2 flows with a user, …). */
  | 'SECURITY_SCHEME_UNSUPPORTED'
  /** No credential for a security scheme: neither in the task nor configured by the operator. */
  | 'CREDENTIAL_MISSING'
  /** The operator's credential for a scheme is bound to other hosts (or https only) than the call's. */
  | 'CREDENTIAL_NOT_BOUND'
  | 'PUBLICATION_FAILED'
  | 'RETRIES_EXHAUSTED'
  | 'ENTRY_TOO_LARGE'
  | 'OUTCOME_FAILED'
  | 'INVALID_PATTERN'
  | 'INVALID_HEADER'
  | 'RAISED'
  | 'INTERNAL'
  | 'GRAPHQL_ERRORS'
  | 'GRAPHQL_INVALID'
  | 'GRAPHQL_BAD_RESPONSE'
  | 'GRPC_STATUS'
  | 'REQUEST_VALIDATION_FAILED'
  | 'RESPONSE_VALIDATION_FAILED'

  /** A message does not match the schema its AsyncAPI document gives. */
  | 'MESSAGE_INVALID'
  /** A call's rate limit had no slot before its deadline (or its longest wait); nothing was sent. */
  | 'RATE_LIMITED'
  /** A shared worker thread's queue is full: the work was not started (retryable). */
  | 'BUSY';

export interface WorkflowErrorInit {
  kind: ErrorKind;
  code: ErrorCode;
  /**
   * The error's type URI when it is not one of the eight standard ones (a workflow's own error,
   * raised by a `raise` task); by default the standard URI of `kind`.
   */
  type?: string;
  title?: string;
  detail?: string;
  status?: number;
  instance?: string;
  data?: Record<string, unknown>;
  /** Whether trying the same thing again can succeed (outages yes, bad input no). */
  retryable?: boolean;
  cause?: unknown;
}

/** The wire form of a WorkflowError (docs/protocol.md, section 8). */
export interface ProblemDetails {
  type: string;
  status: number;
  title?: string;
  detail?: string;
  instance?: string;
  data?: Record<string, unknown>;
}

const RETRYABLE_BY_DEFAULT: Record<ErrorKind, boolean> = {
  configuration: false,
  validation: false,
  expression: false,
  authentication: false,
  authorization: false,
  timeout: true,
  communication: true,
  runtime: false,
};

export class WorkflowError extends Error {
  readonly kind: ErrorKind;
  readonly code: ErrorCode;
  readonly status: number;
  readonly title: string | undefined;
  readonly detail: string;
  readonly instance: string | undefined;
  readonly data: Record<string, unknown> | undefined;
  readonly retryable: boolean;
  private readonly customType: string | undefined;

  constructor(init: WorkflowErrorInit) {
    super(init.detail ?? init.title ?? init.kind, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'WorkflowError';
    this.kind = init.kind;
    this.code = init.code;
    this.status = init.status ?? DEFAULT_STATUS[init.kind];
    this.title = init.title;
    this.detail = init.detail ?? init.title ?? init.kind;
    this.instance = init.instance;
    this.data = init.data;
    this.retryable = init.retryable ?? RETRYABLE_BY_DEFAULT[init.kind];
    this.customType = init.type;
  }

  get type(): string {
    return this.customType ?? ERROR_TYPE_BASE + this.kind;
  }

  /** A copy with some properties changed (the original becomes the cause unless one is given). */
  with(changes: Partial<WorkflowErrorInit>): WorkflowError {
    return new WorkflowError({ ...this.init(), ...changes });
  }

  /** A copy that names the task it happened in. */
  withInstance(instance: string): WorkflowError {
    if (this.instance !== undefined) return this;
    return this.with({ instance });
  }

  withData(extra: Record<string, unknown>): WorkflowError {
    return this.with({ data: { ...(this.data ?? {}), ...extra } });
  }

  toProblem(): ProblemDetails {
    const problem: ProblemDetails = { type: this.type, status: this.status };
    if (this.title) problem.title = this.title;
    if (this.detail) problem.detail = this.detail;
    if (this.instance) problem.instance = this.instance;
    const data = { ...(this.data ?? {}), code: this.code };
    problem.data = data;
    return problem;
  }

  private init(): WorkflowErrorInit {
    return {
      kind: this.kind,
      code: this.code,
      type: this.customType,
      title: this.title,
      detail: this.detail,
      status: this.status,
      instance: this.instance,
      data: this.data,
      retryable: this.retryable,
      cause: this.cause,
    };
  }
}

/** The kind a type URI names when it is one of the eight standard types, else undefined. */
export function standardKind(type: string): ErrorKind | undefined {
  if (!type.startsWith(ERROR_TYPE_BASE)) return undefined;
  const kind = type.slice(ERROR_TYPE_BASE.length);
  return (ERROR_KINDS as readonly string[]).includes(kind) ? (kind as ErrorKind) : undefined;
}

export function isWorkflowError(value: unknown): value is WorkflowError {
  return value instanceof WorkflowError;
}

/** Kind for an HTTP status, keeping Go's special cases that workflows filter on. */
export function errorKindForStatus(status: number): ErrorKind {
  if (status === 401) return 'authentication';
  if (status === 403) return 'authorization';
  if (status === 400) return 'validation';
  if (status === 408) return 'timeout';
  return 'communication';
}

export function httpStatusError(status: number, init: Partial<WorkflowErrorInit> = {}): WorkflowError {
  const kind = errorKindForStatus(status);
  const code: ErrorCode = status >= 500 ? 'HTTP_5XX' : status >= 400 ? 'HTTP_4XX' : 'HTTP_3XX';
  return new WorkflowError({
    title: 'HTTP Request Failed',
    detail: `HTTP request failed with status ${status}`,
    ...init,
    kind,
    code,
    status,
    // 408, 429 and 5xx may pass; other statuses will answer the same again.
    retryable: status === 408 || status === 429 || status >= 500,
  });
}

export const errors = {
  configuration(detail: string, data?: Record<string, unknown>): WorkflowError {
    return new WorkflowError({ kind: 'configuration', code: 'INVALID_CONFIGURATION', title: 'Invalid Configuration', detail, data });
  },
  validation(detail: string, code: ErrorCode = 'INVALID_TASK', data?: Record<string, unknown>): WorkflowError {
    return new WorkflowError({ kind: 'validation', code, title: 'Validation Failed', detail, data });
  },
  expression(detail: string, data?: Record<string, unknown>): WorkflowError {
    return new WorkflowError({ kind: 'expression', code: 'EXPRESSION_FAILED', title: 'Expression Evaluation Failed', detail, data });
  },
  /** An expression ran past its time limit and was stopped. */
  expressionTimeout(detail: string, data?: Record<string, unknown>): WorkflowError {
    return new WorkflowError({ kind: 'expression', code: 'EXPRESSION_TIMEOUT', title: 'Expression Timed Out', detail, data });
  },
  /** An expression exceeded a memory, size or nesting limit and was stopped. */
  expressionLimit(detail: string, data?: Record<string, unknown>): WorkflowError {
    return new WorkflowError({ kind: 'expression', code: 'EXPRESSION_LIMIT', title: 'Expression Limit Exceeded', detail, data });
  },
  timeout(detail: string, data?: Record<string, unknown>): WorkflowError {
    return new WorkflowError({ kind: 'timeout', code: 'TIMEOUT', title: 'Task Timed Out', detail, status: 408, data });
  },
  cancelled(detail: string): WorkflowError {
    return new WorkflowError({ kind: 'timeout', code: 'CANCELLED', title: 'Task Cancelled', detail, status: 408, retryable: true });
  },
  runtime(detail: string, cause?: unknown): WorkflowError {
    return new WorkflowError({ kind: 'runtime', code: 'INTERNAL', title: 'Task Execution Error', detail, cause });
  },
  /** Work refused before it started because a shared queue is full; a later attempt may pass. */
  busy(detail: string): WorkflowError {
    return new WorkflowError({ kind: 'communication', code: 'BUSY', title: 'Service Busy', detail, status: 503, retryable: true });
  },
};

/** Any thrown value as a WorkflowError; unknown throwables are runtime errors. */
export function toWorkflowError(error: unknown): WorkflowError {
  if (error instanceof WorkflowError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return errors.runtime(message, error);
}
