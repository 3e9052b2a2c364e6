import { AsyncApiModel } from '../../application/ports/asyncapi-documents.port';

/** Marks the worker thread's role in its workerData. */
export const ASYNCAPI_PARSE_ROLE = 'flunq-asyncapi-parse';

export interface ParseRequest {
  id: number;
  text: string;
  url: string;
}

/** `problem`: why the document is not usable (the parser's first error and where). */
export type ParseReply = { id: number; ok: true; model: AsyncApiModel } | { id: number; ok: false; problem: string };
