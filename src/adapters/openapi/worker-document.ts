import { CheckedResponse, OperationSecurity, PreparedOperation, ValidatedPreparation, ValidationIssue } from '../../application/ports/openapi-document-source.port';
import { JsonObject } from '../../domain/json';
import { WorkflowError } from '../../domain/workflow-error';
import { LoadedInfo } from './document-worker';
import { Slot, Thread } from './worker-slot';

/**
 * The document asked for is no longer held: its worker was stopped (it ran past a limit, or was
 * retired for another tenant) or the document was dropped from the cache meanwhile. Preparing
 * again after loading the document again is safe.
 */
export class DocumentUnloadedError extends WorkflowError {
  constructor() {
    super({ kind: 'runtime', code: 'INTERNAL', title: 'Task Execution Error', detail: 'the OpenAPI document was unloaded (its worker was restarted); it is loaded again on the next call' });
  }
}

/** What a held document asks of the workers that hold it (OpenApiDocumentWorkers). */
export interface DocumentRequests {
  prepare(document: WorkerDocument, operationId: string, parameters: JsonObject, timeoutMs: number): Promise<PreparedOperation>;
  prepareValidated(document: WorkerDocument, operationId: string, parameters: JsonObject, timeoutMs: number): Promise<ValidatedPreparation>;
  validate(document: WorkerDocument, check: { operationId: string } & ({ parameters: JsonObject } | { response: CheckedResponse }), timeoutMs: number): Promise<ValidationIssue[]>;
  security(document: WorkerDocument, operationId: string, timeoutMs: number): Promise<OperationSecurity>;
  drop(document: WorkerDocument, timeoutMs: number): void;
}

/** A document held by one of the workers. */
export class WorkerDocument {
  constructor(
    private readonly workers: DocumentRequests,
    /** @internal */ readonly slot: Slot,
    /** @internal */ readonly thread: Thread,
    readonly tenant: string,
    readonly key: number,
    private readonly ids: string[],
    private readonly schemes: string[] = [],
    /** The document's version, the hash of the fetched bytes and its stored form, as the load gave them. */
    readonly info: LoadedInfo = {},
  ) {}

  /** False once the worker that held it was stopped. */
  get loaded(): boolean {
    return this.thread.alive;
  }

  operationIds(): string[] {
    return [...this.ids];
  }

  securitySchemeNames(): string[] {
    return [...this.schemes];
  }

  /**
   * Builds the request for an operation (see OpenApiDocument.prepare), within `timeoutMs` once the
   * worker starts on it. Throws DocumentUnloadedError when the document is no longer held.
   */
  prepare(operationId: string, parameters: JsonObject, timeoutMs: number): Promise<PreparedOperation> {
    return this.workers.prepare(this, operationId, parameters, timeoutMs);
  }

  /**
   * Checks caller parameters against the operation's schemas (see OpenApiDocument.validateRequest),
   * within `timeoutMs` once the worker starts on it: a check running past it stops the worker.
   */
  validateRequest(operationId: string, parameters: JsonObject, timeoutMs: number): Promise<ValidationIssue[]> {
    return this.workers.validate(this, { operationId, parameters }, timeoutMs);
  }

  /** validateRequest and prepare in one request to the worker (see OpenApiDocument.prepareValidated). */
  prepareValidated(operationId: string, parameters: JsonObject, timeoutMs: number): Promise<ValidatedPreparation> {
    return this.workers.prepareValidated(this, operationId, parameters, timeoutMs);
  }

  /** Checks a response against the operation (see OpenApiDocument.validateResponse), as validateRequest. */
  validateResponse(operationId: string, response: CheckedResponse, timeoutMs: number): Promise<ValidationIssue[]> {
    return this.workers.validate(this, { operationId, response }, timeoutMs);
  }

  /** The operation's security requirements and the document's schemes (see OpenApiDocument.security), as validateRequest. */
  security(operationId: string, timeoutMs: number): Promise<OperationSecurity> {
    return this.workers.security(this, operationId, timeoutMs);
  }

  /** Forgets the document in its worker (evicted from the cache); idempotent. */
  drop(timeoutMs: number): void {
    this.workers.drop(this, timeoutMs);
  }
}
