import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { fromJSON, MethodDefinition, Options, PackageDefinition } from '@grpc/proto-loader';
import { Root, Type } from 'protobufjs';
import { Clock } from '../../application/ports/clock.port';
import { HttpClient } from '../../application/ports/http-client.port';
import { errors, isWorkflowError, WorkflowError } from '../../domain/workflow-error';
import { ProtoParseThread } from './proto-parse-thread';
import { isUrl } from './proto-paths';
import { MethodOfDocument } from './proto-trim';

/**
 * How answers become JSON (documented in docs/call-grpc.md): field names as the `.proto` spells
 * them, 64-bit integers and enums as strings, bytes as base64, fields left at their default present,
 * and the name of the field a `oneof` holds.
 */
export const PROTO_OPTIONS: Options = { keepCase: true, longs: String, enums: String, bytes: String, defaults: true, oneofs: true };

export interface ProtoDocumentSettings {
  /** Directory `.proto` files may be read from by path (GRPC_PROTO_DIR); undefined: paths are refused. */
  protoDir: string | undefined;
  /** Largest document (and each import) fetched, in bytes. */
  maxDocumentBytes: number;
  /**
   * Most bytes of one document and all its imports together (GRPC_MAX_PROTO_BYTES): protobufjs
   * compiles them, in time and memory that grow with their size.
   */
  maxProtoBytes: number;
  /** Longest fetch of a document with its imports (ms). */
  requestTimeoutMs: number;
  /**
   * Longest compile of a document in the parser's thread (ms), for each round of imports, waiting
   * for the thread included; default: requestTimeoutMs.
   */
  parseTimeoutMs?: number;
  /** How long a loaded document is reused (ms). */
  cacheTtlMs: number;
  /** Most documents held, each trimmed to one method (oldest forgotten first). */
  maxDocuments: number;
  /** Most files in one document with its imports. */
  maxFiles: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- method definitions are typed by the document at run time
export type AnyMethod = MethodDefinition<any, any>;

/** A method of a document with its request message, which arguments are checked against before sending. */
export type LoadedMethodDefinition = AnyMethod & { requestMessage: Type };

/** The document trimmed to one method (see trimmedToMethod), or why it has no such method (kept as well). */
type Loaded = { definition: PackageDefinition; root: Root } | { missing: WorkflowError };

/** The service or method called, by full name and name. */
interface Call {
  service: string;
  method: string;
}

interface Cached {
  expiresAtMs: number;
  definition: Promise<Loaded>;
}

/** Why the document's load stopped: a fetch's own error, else the document does not parse. */
function unparsed(location: string, error: unknown): WorkflowError {
  if (isWorkflowError(error)) return error;
  return errors.configuration(`grpc call: proto document ${location} does not parse: ${error instanceof Error ? error.message : String(error)}`);
}

/** The parser's answer for `call`: the trimmed document as a root and a package definition, or what is missing. */
function built(location: string, { service, method }: Call, answer: MethodOfDocument): Loaded {
  if ('services' in answer) return { missing: errors.configuration(`grpc call: service ${service} not found in ${location} (services: ${answer.services.join(', ') || 'none'})`) };
  if ('methods' in answer) return { missing: errors.configuration(`grpc call: method ${method} not found in service ${service} (methods: ${answer.methods.join(', ')})`) };
  const json = answer.json;
  try {
    const root = Root.fromJSON(json as Parameters<typeof Root.fromJSON>[0]);
    return { definition: fromJSON(json as Parameters<typeof fromJSON>[0], PROTO_OPTIONS), root };
  } catch (error) {
    throw errors.configuration(`grpc call: proto document ${location} does not resolve: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function documentFailed(location: string, cause: unknown): WorkflowError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new WorkflowError({ kind: 'communication', code: 'DOCUMENT_FAILED', title: 'Document Fetch Failed', detail: `grpc call: failed to load proto document ${location}: ${why}`, status: 502, retryable: true, cause });
}

/** The document with its imports passed GRPC_MAX_PROTO_BYTES: a configuration the task (or the operator) must change. */
function tooLarge(location: string, maxProtoBytes: number): WorkflowError {
  return errors.configuration(`grpc call: proto document ${location} with its imports is larger than ${maxProtoBytes} bytes (GRPC_MAX_PROTO_BYTES)`, { maxProtoBytes });
}

/**
 * `shared` for one caller: it stops waiting, with its own error, when its task is cancelled (the
 * signal's WorkflowError reason, such as the task's deadline, else CANCELLED) or after `timeoutMs`;
 * the load itself goes on for the others.
 */
function waitFor<T>(shared: Promise<T>, location: string, timeoutMs: number, signal?: AbortSignal): Promise<T> {
  const stopped = (): WorkflowError => {
    const reason: unknown = signal?.reason;
    return isWorkflowError(reason) ? reason : errors.cancelled(`grpc call: task cancelled while loading proto document ${location}`);
  };
  if (signal?.aborted) return Promise.reject(stopped());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => settle(() => reject(stopped()));
    const timer = setTimeout(() => settle(() => reject(errors.timeout(`grpc call: loading proto document ${location} took longer than ${timeoutMs} ms`))), timeoutMs);
    const settle = (done: () => void): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      done();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    shared.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error instanceof Error ? error : new Error(String(error)))),
    );
  });
}

/**
 * `.proto` documents by URL (fetched through the HttpClient port, so the outbound address policy
 * and the size limit apply) or by path under the proto directory (never anywhere else on disk),
 * their imports resolved next to the importing document, compiled by protobufjs in a worker thread
 * (never on the event loop: see compile()), trimmed there to the method called, and cached per
 * tenant, location, service and method: one tenant's documents are never handed to another, and the
 * event loop builds one method's types, never a whole document.
 */
export class ProtoDocuments {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly http: HttpClient,
    private readonly clock: Clock,
    private readonly settings: ProtoDocumentSettings,
    private readonly parser = new ProtoParseThread(),
  ) {}

  /** The method `service`/`method` of the document, or a `configuration` WorkflowError naming what is missing. */
  async method(tenant: string, location: string, service: string, method: string, timeoutMs: number, signal?: AbortSignal): Promise<LoadedMethodDefinition> {
    const loaded = await this.load(tenant, location, { service, method }, timeoutMs, signal);
    if ('missing' in loaded) throw loaded.missing;
    const { definition, root } = loaded;
    const definitionOfMethod = (definition[service] as Record<string, AnyMethod> | undefined)?.[method];
    if (!definitionOfMethod) throw errors.runtime(`grpc call: the proto parser left ${service}/${method} out of ${location}`);
    if (definitionOfMethod.requestStream) throw errors.configuration(`grpc call: method ${service}/${method} takes a stream of requests (client or bidirectional streaming), which is not supported`);
    const reflected = root.lookupService(service).methods[method];
    reflected?.resolve();
    const requestMessage = reflected?.resolvedRequestType;
    if (!requestMessage) throw errors.configuration(`grpc call: the request message of ${service}/${method} is not found in ${location}`);
    return { ...definitionOfMethod, requestMessage };
  }

  /**
   * The document trimmed to `call`, loaded once for all its concurrent callers: the load runs within the document
   * timeout alone, and each caller stops waiting at its own deadline (`timeoutMs`) or when its
   * task is cancelled (`signal`), without ending the load the others wait for.
   */
  private load(tenant: string, location: string, call: Call, timeoutMs: number, signal?: AbortSignal): Promise<Loaded> {
    const key = `${tenant}\n${location}\n${call.service}\n${call.method}`;
    const now = this.clock.now();
    const cached = this.cache.get(key);
    if (cached && cached.expiresAtMs > now) return waitFor(cached.definition, location, timeoutMs, signal);
    this.cache.delete(key);
    const definition = this.compile(tenant, location, call, this.settings.requestTimeoutMs);
    this.cache.set(key, { expiresAtMs: now + this.settings.cacheTtlMs, definition });
    // A failed load is not kept: the next call tries again.
    definition.catch(() => {
      if (this.cache.get(key)?.definition === definition) this.cache.delete(key);
    });
    while (this.cache.size > this.settings.maxDocuments) this.cache.delete(this.cache.keys().next().value as string);
    return waitFor(definition, location, timeoutMs, signal);
  }

  /**
   * Fetches the document's files here and compiles them in the parser's thread, in rounds: each
   * round compiles what was fetched so far and names the imports still missing, fetched (all at
   * once, each once) before the next round, until the document compiles or fails. A failed fetch is
   * handed to protobufjs as such, so that a weak import may fail as before, and its error is the
   * document's when the load stops at it. Imports nested n deep take n rounds, each compiling every
   * file so far: at most maxFiles rounds, each in the tenant's turn of the thread.
   */
  private async compile(tenant: string, location: string, call: Call, timeoutMs: number): Promise<Loaded> {
    const first = isUrl(location) ? location : await this.allowedPath(location, undefined);
    // No prototype: file names are the tenant's.
    const files = Object.create(null) as Record<string, string | null>;
    const failures = new Map<string, unknown>();
    const budget = { remaining: this.settings.maxProtoBytes };
    let fetched = 0;
    const fetchFile = async (name: string): Promise<void> => {
      try {
        if (++fetched > this.settings.maxFiles) throw documentFailed(location, new Error(`more than ${this.settings.maxFiles} files imported`));
        files[name] = await this.text(name, location, timeoutMs, budget);
      } catch (error) {
        files[name] = null;
        failures.set(name, error);
      }
    };
    for (let need = [first]; ; ) {
      await Promise.all(need.map(fetchFile));
      // The document itself could not be fetched: no compile to wait for.
      if (files[first] === null) throw unparsed(location, failures.get(first));
      const reply = await this.parser.compile(tenant, first, files, call, this.settings.parseTimeoutMs ?? timeoutMs);
      if (reply.ok) return built(location, call, reply.method);
      if ('need' in reply) need = reply.need.filter((name) => !Object.hasOwn(files, name));
      else if ('failed' in reply) throw unparsed(location, failures.get(reply.failed));
      else throw unparsed(location, new Error(reply.problem));
      // Every round fetches a file more, and a document has at most maxFiles: this ends.
      if (need.length === 0) throw errors.runtime(`grpc call: the proto parser asked again for files of ${location} it was given`);
    }
  }

  /** One file of the document, its bytes taken from what is left of the document's budget. */
  private async text(name: string, location: string, timeoutMs: number, budget: { remaining: number }): Promise<string> {
    const { maxDocumentBytes, maxProtoBytes } = this.settings;
    const spend = (bytes: Uint8Array): string => {
      budget.remaining -= bytes.length;
      if (budget.remaining < 0) throw tooLarge(location, maxProtoBytes);
      return new TextDecoder().decode(bytes);
    };
    if (isUrl(name)) {
      // No more than the budget left is read: a larger answer is refused as it arrives.
      const limit = Math.min(maxDocumentBytes, budget.remaining);
      let response;
      try {
        response = await this.http.send({ method: 'GET', url: name, headers: { Accept: 'text/plain, */*' }, timeoutMs, followRedirects: true, maxResponseBytes: limit });
      } catch (error) {
        const cause = isWorkflowError(error) ? error : documentFailed(location, error);
        if (cause.code === 'RESPONSE_TOO_LARGE' && limit < maxDocumentBytes) throw tooLarge(location, maxProtoBytes);
        if (cause.code === 'ADDRESS_DENIED') throw cause;
        throw documentFailed(location, cause);
      }
      if (response.status < 200 || response.status > 299) throw documentFailed(location, new Error(`${name} answered with status ${response.status}`));
      return spend(response.body);
    }
    const file = await this.allowedPath(name, location);
    let bytes: Buffer;
    try {
      const size = (await stat(file)).size;
      if (size > maxDocumentBytes) throw new Error(`${name} is larger than ${maxDocumentBytes} bytes`);
      if (size > budget.remaining) throw tooLarge(location, maxProtoBytes);
      bytes = await readFile(file);
    } catch (error) {
      if (isWorkflowError(error)) throw error;
      throw documentFailed(location, error);
    }
    return spend(bytes);
  }

  /** A path inside the proto directory (links followed before the check), or a `configuration` refusal. */
  private async allowedPath(name: string, document: string | undefined): Promise<string> {
    const dir = this.settings.protoDir;
    const shown = document ?? name;
    if (dir === undefined) throw errors.configuration(`grpc call: proto document ${shown} is a file path, and reading files is not allowed (GRPC_PROTO_DIR is not set; use an http(s) URL)`);
    const base = await realpath(dir).catch(() => path.resolve(dir));
    const candidate = path.resolve(base, name);
    const real = await realpath(candidate).catch(() => candidate);
    if (real !== base && !real.startsWith(base + path.sep)) throw errors.configuration(`grpc call: proto document ${name} is outside GRPC_PROTO_DIR`);
    return real;
  }
}
