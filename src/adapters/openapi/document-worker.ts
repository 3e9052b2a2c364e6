import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { CheckedResponse, OperationSecurity, PreparedOperation, ValidationIssue } from '../../application/ports/openapi-document-source.port';
import { JsonObject } from '../../domain/json';
import { isWorkflowError, WorkflowErrorInit } from '../../domain/workflow-error';
import { contentHash, documentVersion, normalizeDocument, parseDocumentText, parseStoredForm, storedForm } from './document-parsing';
import { DereferencedOpenApiDocument } from './openapi-document';

/**
 * The OpenAPI document worker: a thread that parses, validates and dereferences documents and
 * keeps them, so that neither parsing a large document (seconds for a few MB of YAML) nor holding
 * it ever blocks the event loop that runs every other task. The main thread asks it to prepare
 * requests by operation id, and sends it one request at a time (see document-worker-client.ts).
 */

export const DOCUMENT_WORKER_ROLE = 'openapi-documents';

export type DocumentRequest =
  | { id: number; op: 'load'; key: number; body: Uint8Array; contentType: string; url: string } & LoadForm
  | { id: number; op: 'prepare'; key: number; operationId: string; parameters: JsonObject; validate?: true }
  | { id: number; op: 'validate-request'; key: number; operationId: string; parameters: JsonObject }
  | { id: number; op: 'validate-response'; key: number; operationId: string; response: CheckedResponse }
  | { id: number; op: 'security'; key: number; operationId: string }
  | { id: number; op: 'drop'; key: number };

/**
 * `stored`: `body` is a document's stored form (see storedForm) read from the shared cache, at most
 * `maxBytes` once decompressed; otherwise it is the bytes fetched. `keep`: also answer with the
 * stored form of the fetched document, when its JSON is at most `keep` bytes.
 */
export interface LoadForm {
  stored?: { maxBytes: number };
  keep?: number;
}

/** A WorkflowError as it crosses threads. */
export type ErrorData = Pick<WorkflowErrorInit, 'kind' | 'code' | 'title' | 'detail' | 'status' | 'retryable' | 'data'>;

/** `held`: how many documents the worker holds after the request. `unloaded`: the document asked for is not held. */
export type DocumentReply =
  | { id: number; ok: true; held: number; operationIds?: string[]; securitySchemes?: string[]; prepared?: PreparedOperation; issues?: ValidationIssue[]; loaded?: LoadedInfo; security?: OperationSecurity }
  | { id: number; ok: false; held: number; unloaded?: true; error: ErrorData | { message: string } };

/** What a load tells about the document: its `info.version`, the hash of fetched bytes, and its stored form when asked for. */
export interface LoadedInfo {
  /** Bytes of the text parsed (the fetched text, or the stored form's JSON): what the document weighs in the cache's bounds. */
  bytes?: number;
  version?: string;
  sha256?: string;
  stored?: Uint8Array;
}

/** The worker's first message: it has loaded and takes requests. */
export interface DocumentWorkerReady {
  ready: true;
}

function errorData(error: unknown): ErrorData | { message: string } {
  if (isWorkflowError(error)) return { kind: error.kind, code: error.code, title: error.title, detail: error.detail, status: error.status, retryable: error.retryable, data: error.data };
  return { message: error instanceof Error ? error.message : String(error) };
}

/** Answers one request against the documents this worker holds. */
export async function handleDocumentRequest(documents: Map<number, DereferencedOpenApiDocument>, request: DocumentRequest): Promise<DocumentReply> {
  try {
    if (request.op === 'load') {
      const loaded: LoadedInfo = {};
      let raw: JsonObject;
      if (request.stored) {
        const parsed = parseStoredForm(request.body, request.stored.maxBytes);
        raw = parsed.document;
        loaded.bytes = parsed.bytes;
      } else {
        loaded.bytes = request.body.byteLength;
        loaded.sha256 = contentHash(request.body);
        raw = parseDocumentText(new TextDecoder('utf-8').decode(request.body), request.contentType);
      }
      const version = documentVersion(raw);
      if (version !== undefined) loaded.version = version;
      // Before dereferencing, which changes the document in place and may make it cyclic.
      const stored = request.keep === undefined ? undefined : storedForm(raw, request.keep);
      const document = new DereferencedOpenApiDocument(await normalizeDocument(raw), request.url);
      documents.set(request.key, document);
      if (stored) loaded.stored = stored;
      return { id: request.id, ok: true, held: documents.size, operationIds: document.operationIds(), securitySchemes: document.securitySchemeNames(), loaded };
    }
    if (request.op === 'prepare') {
      const document = documents.get(request.key);
      if (!document) return { id: request.id, ok: false, held: documents.size, unloaded: true, error: { message: 'document not loaded' } };
      if (request.validate) return { id: request.id, ok: true, held: documents.size, ...document.prepareValidated(request.operationId, request.parameters) };
      return { id: request.id, ok: true, held: documents.size, prepared: document.prepare(request.operationId, request.parameters) };
    }
    if (request.op === 'security') {
      const document = documents.get(request.key);
      if (!document) return { id: request.id, ok: false, held: documents.size, unloaded: true, error: { message: 'document not loaded' } };
      return { id: request.id, ok: true, held: documents.size, security: document.security(request.operationId) };
    }
    if (request.op === 'validate-request' || request.op === 'validate-response') {
      const document = documents.get(request.key);
      if (!document) return { id: request.id, ok: false, held: documents.size, unloaded: true, error: { message: 'document not loaded' } };
      const issues = request.op === 'validate-request' ? document.validateRequest(request.operationId, request.parameters) : document.validateResponse(request.operationId, request.response);
      return { id: request.id, ok: true, held: documents.size, issues };
    }
    documents.delete(request.key);
    return { id: request.id, ok: true, held: documents.size };
  } catch (error) {
    return { id: request.id, ok: false, held: documents.size, error: errorData(error) };
  }
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === DOCUMENT_WORKER_ROLE && parentPort) {
  const port = parentPort;
  const documents = new Map<number, DereferencedOpenApiDocument>();
  port.on('message', (request: DocumentRequest) => {
    void handleDocumentRequest(documents, request).then((reply) => {
      // The stored form is handed over, not copied.
      const stored = reply.ok ? reply.loaded?.stored : undefined;
      port.postMessage(reply, stored ? [stored.buffer as ArrayBuffer] : []);
    });
  });
  // Loading this module and its parsers takes a while; a request's time limit starts only after.
  port.postMessage({ ready: true } satisfies DocumentWorkerReady);
}
