import { Worker } from 'node:worker_threads';
import { OpenApiDocument, PreparedOperation } from '../../application/ports/openapi-document-source.port';
import { JsonObject } from '../../domain/json';
import { errors, WorkflowError } from '../../domain/workflow-error';
import { DOCUMENT_WORKER_ROLE, DocumentReply, DocumentRequest } from './document-worker';

export interface DocumentWorkerOptions {
  /** Heap limit of the worker, MB: documents are kept there. */
  maxMemoryMb: number;
  /** Longest a request may take before the worker is stopped (and restarted on demand), ms. */
  prepareTimeoutMs: number;
}

export const DEFAULT_DOCUMENT_WORKER_OPTIONS: DocumentWorkerOptions = { maxMemoryMb: 1024, prepareTimeoutMs: 10_000 };

type Request = DocumentRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

interface Pending {
  resolve(reply: DocumentReply): void;
  reject(error: WorkflowError): void;
  timer: NodeJS.Timeout;
}

/** The bootstrap of the worker thread: the compiled module, or the TypeScript one under ts-node (tests). */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
if (workerData.tsNode) require(workerData.tsNode);
require(workerData.entry);
`;

function workerEntry(): { entry: string; tsNode: string | undefined } {
  const entry = require.resolve('./document-worker');
  return { entry, tsNode: entry.endsWith('.ts') ? require.resolve('ts-node/register/transpile-only') : undefined };
}

function toError(reply: Extract<DocumentReply, { ok: false }>): WorkflowError {
  const error = reply.error;
  if ('message' in error) return errors.runtime(`OpenAPI document worker: ${error.message}`);
  return new WorkflowError(error);
}

/**
 * The main thread's side of the OpenAPI document worker (see document-worker.ts): one thread,
 * started on first use, shared by every container of the process. A request that runs past its
 * limit stops the thread; the documents it held are reloaded on demand (their `generation` is
 * older than the worker's).
 */
export class OpenApiDocumentWorker {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private nextKey = 1;
  private gen = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: DocumentWorkerOptions = DEFAULT_DOCUMENT_WORKER_OPTIONS) {}

  /** Incremented each time the worker is replaced: documents of an older generation are gone. */
  get generation(): number {
    return this.gen;
  }

  /** Parses and keeps a document; resolves with its handle. Rejects with the document's WorkflowError. */
  async load(text: string, contentType: string, url: string, timeoutMs: number): Promise<WorkerDocument> {
    const key = this.nextKey++;
    const generation = this.gen;
    const reply = await this.request({ op: 'load', key, text, contentType, url }, timeoutMs);
    return new WorkerDocument(this, key, generation, reply.operationIds ?? []);
  }

  async prepare(key: number, generation: number, operationId: string, parameters: JsonObject): Promise<PreparedOperation> {
    if (generation !== this.gen) throw errors.runtime('the OpenAPI document was unloaded (its worker was restarted); it is loaded again on the next call');
    const reply = await this.request({ op: 'prepare', key, operationId, parameters }, this.options.prepareTimeoutMs);
    if (!reply.prepared) throw errors.runtime('OpenAPI document worker gave no request');
    return reply.prepared;
  }

  /** Forgets a document (a newer copy replaced it in the cache). */
  drop(key: number, generation: number): void {
    if (generation !== this.gen || !this.worker) return;
    void this.request({ op: 'drop', key }, this.options.prepareTimeoutMs).catch(() => undefined);
  }

  /** Resolves once no request is in progress: `true` if it had to wait (tests on a fake clock). */
  async whenIdle(): Promise<boolean> {
    if (this.pending.size === 0) return false;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    return true;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.restart(errors.runtime('the OpenAPI document worker was closed'));
    await worker?.terminate();
  }

  private request(request: Request, timeoutMs: number): Promise<Extract<DocumentReply, { ok: true }>> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<DocumentReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.restart(errors.timeout(`the OpenAPI document took longer than ${timeoutMs} ms to process and was abandoned`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      worker.ref();
      worker.postMessage({ ...request, id });
    }).then((reply) => {
      if (!reply.ok) throw toError(reply);
      return reply;
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { role: DOCUMENT_WORKER_ROLE, ...workerEntry() },
      resourceLimits: { maxOldGenerationSizeMb: this.options.maxMemoryMb },
    });
    worker.unref();
    worker.on('message', (reply: DocumentReply) => {
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      this.pending.delete(reply.id);
      clearTimeout(pending.timer);
      pending.resolve(reply);
      this.settled();
    });
    worker.on('error', (error: Error & { code?: string }) => {
      const reason = error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `ran out of memory (limit ${this.options.maxMemoryMb} MB)` : `failed: ${error.message}`;
      this.restart(errors.runtime(`the OpenAPI document worker ${reason}`));
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.restart(errors.runtime('the OpenAPI document worker stopped'));
    });
    this.worker = worker;
    return worker;
  }

  /** Stops the worker and fails what it had in progress; the next request starts a new one. */
  private restart(error: WorkflowError): void {
    const worker = this.worker;
    this.worker = undefined;
    this.gen++;
    if (worker) void worker.terminate().catch(() => undefined);
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    this.settled();
  }

  private settled(): void {
    if (this.pending.size === 0) {
      this.worker?.unref();
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}

/** A document held by the worker. */
export class WorkerDocument implements OpenApiDocument {
  constructor(
    private readonly worker: OpenApiDocumentWorker,
    readonly key: number,
    readonly generation: number,
    private readonly ids: string[],
  ) {}

  /** False once the worker that held it was replaced. */
  get loaded(): boolean {
    return this.generation === this.worker.generation;
  }

  operationIds(): string[] {
    return [...this.ids];
  }

  prepare(operationId: string, parameters: JsonObject): Promise<PreparedOperation> {
    return this.worker.prepare(this.key, this.generation, operationId, parameters);
  }

  drop(): void {
    this.worker.drop(this.key, this.generation);
  }
}
