/**
 * The worker thread that compiles `.proto` documents (see ProtoParseThread): protobufjs parses and
 * resolves on one thread, in time that grows with the document, so it never runs on the event loop.
 * The thread reads nothing itself: the main thread fetches every file (through the HttpClient port
 * and the proto directory's checks) and sends them; a round that finds imports not given yet answers
 * with their names, and the main thread asks again with them. The answer is the document trimmed to
 * the method called: the event loop builds that, never the whole document.
 */
import { Root } from 'protobufjs';
import { serveJobs } from '../worker-thread/isolated-worker';
import { ProtoParseReply, ProtoParseRequest, PROTO_PARSE_ROLE } from './proto-parse-protocol';
import { resolveImport } from './proto-paths';
import { trimmedToMethod } from './proto-trim';

/** Marks the error given to protobufjs for a file whose fetch failed. */
class FetchFailed extends Error {
  constructor(readonly file: string) {
    super(`${file} could not be fetched`);
  }
}

function turn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function compile({ id, entry, files, service, method }: ProtoParseRequest): Promise<ProtoParseReply> {
  const root = new Root();
  const need = new Set<string>();
  root.resolvePath = resolveImport;
  root.fetch = (name, callback) => {
    const text = Object.hasOwn(files, name) ? files[name] : undefined;
    if (text === undefined) need.add(name);
    // protobufjs' callback type omits the null of a success.
    else if (text === null) callback(new FetchFailed(name));
    else callback(null as unknown as Error, text);
  };
  let outcome: { error: unknown } | undefined;
  try {
    root.load(entry, { keepCase: true }, (error) => {
      outcome = { error };
    });
  } catch (error) {
    outcome = { error };
  }
  // The given files are read at once; the built-in google/protobuf ones on timers, each adding to
  // root.files when asked for: a turn that adds none leaves only the files not given pending.
  for (let seen = -1; outcome === undefined && root.files.length !== seen; ) {
    seen = root.files.length;
    await turn();
  }
  if (outcome === undefined) return { id, ok: false, need: [...need] };
  const { error } = outcome;
  if (error instanceof FetchFailed) return { id, ok: false, failed: error.file };
  if (error instanceof Error) return { id, ok: false, problem: error.message };
  if (error) return { id, ok: false, problem: typeof error === 'string' ? error : 'the document could not be loaded' };
  try {
    return { id, ok: true, method: trimmedToMethod(root, service, method) };
  } catch (error) {
    return { id, ok: false, problem: error instanceof Error ? error.message : String(error) };
  }
}

serveJobs<ProtoParseRequest, ProtoParseReply>(PROTO_PARSE_ROLE, compile);
