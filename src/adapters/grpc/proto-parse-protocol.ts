import { MethodOfDocument } from './proto-trim';

/** Marks the worker thread's role in its workerData. */
export const PROTO_PARSE_ROLE = 'flunq-proto-parse';

/**
 * One round of a document's compile: `entry` (the document's URL or path) with every file fetched
 * so far, by the name protobufjs asks for; `null` for a file whose fetch failed (the main thread
 * holds its error). The answer is for one method: `service` (its full name) and `method`.
 */
export interface ProtoParseRequest {
  id: number;
  entry: string;
  files: Record<string, string | null>;
  service: string;
  method: string;
}

/**
 * `method`: the compiled document trimmed to the method, or the services or methods it has when it
 * has no such service or method (see trimmedToMethod). `need`: files imported but not given yet (fetch
 * them and ask again). `failed`: the load stopped at the file whose fetch failed. `problem`: why the
 * document does not parse.
 */
export type ProtoParseReply =
  | { id: number; ok: true; method: MethodOfDocument }
  | { id: number; ok: false; need: string[] }
  | { id: number; ok: false; failed: string }
  | { id: number; ok: false; problem: string };
