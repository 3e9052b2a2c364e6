import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { PreparedOperation } from '../../application/ports/openapi-document-source.port';
import { JsonObject } from '../../domain/json';
import { isWorkflowError, WorkflowErrorInit } from '../../domain/workflow-error';
import { normalizeDocument, parseDocumentText } from './document-parsing';
import { DereferencedOpenApiDocument } from './openapi-document';

/**
 * The OpenAPI document worker: a thread that parses, validates and dereferences documents and
 * keeps them, so that neither parsing a large document (seconds for a few MB of YAML) nor holding
 * it ever blocks the event loop that runs every other task. The main thread asks it to prepare
 * requests by operation id.
 */

export const DOCUMENT_WORKER_ROLE = 'openapi-documents';

export type DocumentRequest =
  | { id: number; op: 'load'; key: number; text: string; contentType: string; url: string }
  | { id: number; op: 'prepare'; key: number; operationId: string; parameters: JsonObject }
  | { id: number; op: 'drop'; key: number };

/** A WorkflowError as it crosses threads. */
export type ErrorData = Pick<WorkflowErrorInit, 'kind' | 'code' | 'title' | 'detail' | 'status' | 'retryable' | 'data'>;

export type DocumentReply =
  | { id: number; ok: true; operationIds?: string[]; prepared?: PreparedOperation }
  | { id: number; ok: false; error: ErrorData | { message: string } };

function errorData(error: unknown): ErrorData | { message: string } {
  if (isWorkflowError(error)) return { kind: error.kind, code: error.code, title: error.title, detail: error.detail, status: error.status, retryable: error.retryable, data: error.data };
  return { message: error instanceof Error ? error.message : String(error) };
}

/** Answers one request against the documents this worker holds. */
export async function handleDocumentRequest(documents: Map<number, DereferencedOpenApiDocument>, request: DocumentRequest): Promise<DocumentReply> {
  try {
    if (request.op === 'load') {
      const document = new DereferencedOpenApiDocument(await normalizeDocument(parseDocumentText(request.text, request.contentType)), request.url);
      documents.set(request.key, document);
      return { id: request.id, ok: true, operationIds: document.operationIds() };
    }
    if (request.op === 'prepare') {
      const document = documents.get(request.key);
      if (!document) return { id: request.id, ok: false, error: { message: 'document not loaded' } };
      return { id: request.id, ok: true, prepared: document.prepare(request.operationId, request.parameters) };
    }
    documents.delete(request.key);
    return { id: request.id, ok: true };
  } catch (error) {
    return { id: request.id, ok: false, error: errorData(error) };
  }
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === DOCUMENT_WORKER_ROLE && parentPort) {
  const port = parentPort;
  const documents = new Map<number, DereferencedOpenApiDocument>();
  port.on('message', (request: DocumentRequest) => {
    void handleDocumentRequest(documents, request).then((reply) => port.postMessage(reply));
  });
}
