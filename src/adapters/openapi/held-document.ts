import { CheckedResponse, DocumentIdentity, OpenApiDocument, OperationSecurity, PreparedOperation, ValidatedPreparation, ValidationIssue } from '../../application/ports/openapi-document-source.port';
import { JsonObject } from '../../domain/json';
import { LoadedInfo, LoadForm } from './document-worker';
import { DocumentUnloadedError } from './worker-document';

/** A document held off the event loop (see OpenApiDocumentWorkers). */
export interface HeldDocument {
  /** False once the document is gone from its worker. */
  readonly loaded: boolean;
  operationIds(): string[];
  securitySchemeNames(): string[];
  /** Throws DocumentUnloadedError when the document is no longer held. */
  prepare(operationId: string, parameters: JsonObject, timeoutMs: number): Promise<PreparedOperation>;
  validateRequest(operationId: string, parameters: JsonObject, timeoutMs: number): Promise<ValidationIssue[]>;
  prepareValidated(operationId: string, parameters: JsonObject, timeoutMs: number): Promise<ValidatedPreparation>;
  validateResponse(operationId: string, response: CheckedResponse, timeoutMs: number): Promise<ValidationIssue[]>;
  security(operationId: string, timeoutMs: number): Promise<OperationSecurity>;
  drop(timeoutMs: number): void;
  /** The document's version, the hash of the fetched bytes and its stored form, as the load gave them. */
  readonly info?: LoadedInfo;
}

/** Where documents are parsed and held: one place per tenant. */
export interface DocumentWorkers {
  /**
   * Parses and holds the fetched bytes of a document, or with `form.stored` its stored form from
   * the shared cache, under the same limits; `body` may be handed over (unusable afterwards).
   */
  load(tenant: string, body: Uint8Array, contentType: string, url: string, timeoutMs: number, form?: LoadForm): Promise<HeldDocument>;
  whenIdle(): Promise<boolean>;
}

/** Loads a tenant's document again once its held copy is gone (OasDocumentSource.obtain). */
export interface DocumentReloader {
  obtain(tenant: string, url: string): Promise<SourceDocument>;
}

/** A cached document as calls see it: when it is gone from its worker by the time a call prepares its request, it is loaded again once. */
export class SourceDocument implements OpenApiDocument {
  constructor(
    private readonly source: DocumentReloader,
    private readonly tenant: string,
    private readonly url: string,
    readonly held: HeldDocument,
    private readonly timeoutMs: number,
    readonly identity: DocumentIdentity = {},
  ) {}

  operationIds(): string[] {
    return this.held.operationIds();
  }

  securitySchemeNames(): string[] {
    return this.held.securitySchemeNames();
  }

  prepare(operationId: string, parameters: JsonObject): Promise<PreparedOperation> {
    return this.withHeld((held) => held.prepare(operationId, parameters, this.timeoutMs));
  }

  validateRequest(operationId: string, parameters: JsonObject): Promise<ValidationIssue[]> {
    return this.withHeld((held) => held.validateRequest(operationId, parameters, this.timeoutMs));
  }

  prepareValidated(operationId: string, parameters: JsonObject): Promise<ValidatedPreparation> {
    return this.withHeld((held) => held.prepareValidated(operationId, parameters, this.timeoutMs));
  }

  validateResponse(operationId: string, response: CheckedResponse): Promise<ValidationIssue[]> {
    return this.withHeld((held) => held.validateResponse(operationId, response, this.timeoutMs));
  }

  security(operationId: string): Promise<OperationSecurity> {
    return this.withHeld((held) => held.security(operationId, this.timeoutMs));
  }

  /** Runs `use` on the held document, loading the document again once when it is gone from its worker. */
  private async withHeld<T>(use: (held: HeldDocument) => Promise<T>): Promise<T> {
    try {
      return await use(this.held);
    } catch (error) {
      if (!(error instanceof DocumentUnloadedError)) throw error;
    }
    const again = await this.source.obtain(this.tenant, this.url);
    return use(again.held);
  }
}
