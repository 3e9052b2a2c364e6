import { Worker } from 'node:worker_threads';
import { CheckedResponse, OperationSecurity, PreparedOperation, ValidatedPreparation, ValidationIssue } from '../../application/ports/openapi-document-source.port';
import { JsonObject } from '../../domain/json';
import { errors, WorkflowError } from '../../domain/workflow-error';
import { DOCUMENT_WORKER_ROLE, DocumentReply, DocumentRequest, DocumentWorkerReady, LoadForm } from './document-worker';
import { DocumentRequests, DocumentUnloadedError, WorkerDocument } from './worker-document';
import { Job, OkReply, Request, Slot, Thread } from './worker-slot';

export interface DocumentWorkerOptions {
  /** Most worker threads at once (OPENAPI_WORKERS); each holds the documents of one tenant. */
  maxWorkers: number;
  /** Heap limit of each worker, MB: documents are kept there. */
  maxMemoryMb: number;
}

export const DEFAULT_DOCUMENT_WORKER_OPTIONS: DocumentWorkerOptions = { maxWorkers: 4, maxMemoryMb: 1024 };

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
  if (reply.unloaded) return new DocumentUnloadedError();
  const error = reply.error;
  if ('message' in error) return errors.runtime(`OpenAPI document worker: ${error.message}`);
  return new WorkflowError(error);
}

function closedError(): WorkflowError {
  return errors.runtime('the OpenAPI document worker was closed');
}

/** FNV-1a: a stable slot for a tenant that has to share one. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * The main thread's side of the OpenAPI document workers (see document-worker.ts), shared by every
 * container of the process. Tenants are kept apart: a tenant's documents live in its own worker,
 * started on demand, so that one tenant's large or slow documents never queue in front of another
 * tenant's requests, and a worker stopped for running past a limit takes only its own tenant's
 * documents with it. With more tenants than `maxWorkers`, an idle worker (nothing running or
 * queued) of the least recently used tenant is retired for the newcomer; only when every worker is
 * busy does a tenant share one, chosen by hashing its name, taking turns with its owner.
 *
 * Each worker runs one request at a time and its time limit starts when it starts. Prepares and
 * drops go before queued loads. A request that runs past its limit fails and its worker is
 * stopped; the requests queued behind it run on a fresh worker (loads are sent again; a prepare
 * whose document was in the stopped worker fails with DocumentUnloadedError, so that the caller
 * loads the document again).
 */
export class OpenApiDocumentWorkers implements DocumentRequests {
  private slots: Slot[] = [];
  private nextId = 1;
  private nextKey = 1;
  private sequence = 0;
  private started = 0;
  private idleWaiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly options: DocumentWorkerOptions = DEFAULT_DOCUMENT_WORKER_OPTIONS) {}

  /** Worker threads started since creation (replacements included). */
  get workersStarted(): number {
    return this.started;
  }

  /** Documents the running workers hold, as of their last answers. */
  documentsHeld(): number {
    return this.slots.reduce((n, slot) => n + (slot.thread?.alive ? slot.thread.held : 0), 0);
  }

  /**
   * Parses and keeps a document (the fetched bytes, or with `form.stored` its stored form from the
   * shared cache; handed over to the worker: `body` is unusable afterwards) in the tenant's worker;
   * resolves with its handle. Rejects with the document's WorkflowError, or a `timeout` one when
   * processing takes longer than `timeoutMs` once started: a stored form is held to the same limits.
   */
  async load(tenant: string, body: Uint8Array, contentType: string, url: string, timeoutMs: number, form: LoadForm = {}): Promise<WorkerDocument> {
    if (this.closed) throw closedError();
    const slot = this.slotFor(tenant);
    const key = this.nextKey++;
    const { reply, thread } = await this.enqueue(slot, { op: 'load', key, body, contentType, url, ...form }, tenant, timeoutMs, undefined);
    return new WorkerDocument(this, slot, thread, tenant, key, reply.operationIds ?? [], reply.securitySchemes ?? [], reply.loaded ?? {});
  }

  /** @internal Use WorkerDocument.prepare. */
  async prepare(document: WorkerDocument, operationId: string, parameters: JsonObject, timeoutMs: number): Promise<PreparedOperation> {
    if (!document.loaded) throw new DocumentUnloadedError();
    const { reply } = await this.enqueue(document.slot, { op: 'prepare', key: document.key, operationId, parameters }, document.tenant, timeoutMs, document.thread);
    if (!reply.prepared) throw errors.runtime('OpenAPI document worker gave no request');
    return reply.prepared;
  }

  /** @internal Use WorkerDocument.prepareValidated. */
  async prepareValidated(document: WorkerDocument, operationId: string, parameters: JsonObject, timeoutMs: number): Promise<ValidatedPreparation> {
    if (!document.loaded) throw new DocumentUnloadedError();
    const { reply } = await this.enqueue(document.slot, { op: 'prepare', key: document.key, operationId, parameters, validate: true }, document.tenant, timeoutMs, document.thread);
    const issues = reply.issues ?? [];
    if (issues.length === 0 && !reply.prepared) throw errors.runtime('OpenAPI document worker gave no request');
    return reply.prepared ? { issues, prepared: reply.prepared } : { issues };
  }

  /** @internal Use WorkerDocument.validateRequest and validateResponse. */
  async validate(document: WorkerDocument, check: { operationId: string } & ({ parameters: JsonObject } | { response: CheckedResponse }), timeoutMs: number): Promise<ValidationIssue[]> {
    if (!document.loaded) throw new DocumentUnloadedError();
    const request: Request = 'parameters' in check ? { op: 'validate-request', key: document.key, ...check } : { op: 'validate-response', key: document.key, ...check };
    const { reply } = await this.enqueue(document.slot, request, document.tenant, timeoutMs, document.thread);
    return reply.issues ?? [];
  }

  /** @internal Use WorkerDocument.security. */
  async security(document: WorkerDocument, operationId: string, timeoutMs: number): Promise<OperationSecurity> {
    if (!document.loaded) throw new DocumentUnloadedError();
    const { reply } = await this.enqueue(document.slot, { op: 'security', key: document.key, operationId }, document.tenant, timeoutMs, document.thread);
    if (!reply.security) throw errors.runtime('OpenAPI document worker gave no security');
    return reply.security;
  }

  /** @internal Use WorkerDocument.drop. */
  drop(document: WorkerDocument, timeoutMs: number): void {
    if (!document.loaded) return;
    this.enqueue(document.slot, { op: 'drop', key: document.key }, document.tenant, timeoutMs, document.thread).catch(() => undefined);
  }

  /** Resolves once no request is running or queued: `true` if it had to wait (tests on a fake clock). */
  async whenIdle(): Promise<boolean> {
    if (this.isIdle()) return false;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    return true;
  }

  /** Stops every worker and fails what was running or queued, and every later request. */
  async close(): Promise<void> {
    this.closed = true;
    const error = closedError();
    const slots = this.slots;
    this.slots = [];
    const stopping: Promise<unknown>[] = [];
    for (const slot of slots) {
      const jobs = slot.queue.splice(0);
      if (slot.current) {
        clearTimeout(slot.current.timer);
        jobs.unshift(slot.current.job);
        slot.current = undefined;
      }
      if (slot.thread) stopping.push(this.stop(slot.thread));
      slot.thread = undefined;
      for (const job of jobs) job.reject(error);
    }
    this.settled();
    await Promise.all(stopping);
  }

  /**
   * The slot for a tenant's new document: its own; a new one while fewer than `maxWorkers` run;
   * the least recently used idle one, retired and handed over; or, when every slot is busy, one
   * shared by hash (the tenant gets its own again on a later load once one is idle).
   */
  private slotFor(tenant: string): Slot {
    const own = this.slots.find((s) => s.owner === tenant);
    if (own) return own;
    if (this.slots.length < Math.max(1, this.options.maxWorkers)) {
      const slot: Slot = { owner: tenant, thread: undefined, current: undefined, queue: [], lastUsed: 0, lastLoadTenant: undefined };
      this.slots.push(slot);
      return slot;
    }
    const idle = this.slots.filter((s) => !s.current && s.queue.length === 0).sort((a, b) => a.lastUsed - b.lastUsed)[0];
    if (idle) {
      if (idle.thread) void this.stop(idle.thread);
      idle.thread = undefined;
      idle.owner = tenant;
      idle.lastLoadTenant = undefined;
      return idle;
    }
    return this.slots[hash(tenant) % this.slots.length] as Slot;
  }

  private enqueue(slot: Slot, request: Request, tenant: string, timeoutMs: number, thread: Thread | undefined): Promise<{ reply: OkReply; thread: Thread }> {
    if (this.closed) return Promise.reject(closedError());
    return new Promise((resolve, reject) => {
      slot.queue.push({ request, tenant, timeoutMs: Math.max(1, timeoutMs), thread, resolve, reject });
      slot.lastUsed = ++this.sequence;
      this.pump(slot);
    });
  }

  /** Starts the slot's next request if its thread is free. */
  private pump(slot: Slot): void {
    while (!slot.current) {
      const job = this.next(slot);
      if (!job) {
        slot.thread?.worker.unref();
        this.settled();
        return;
      }
      if (job.thread && job.thread !== slot.thread) {
        // Its document went with a stopped thread.
        if (job.request.op === 'drop') job.resolve({ reply: { id: 0, ok: true, held: 0 }, thread: job.thread });
        else job.reject(new DocumentUnloadedError());
        continue;
      }
      const thread = slot.thread ?? (slot.thread = this.spawn(slot));
      if (!thread.ready) {
        slot.queue.unshift(job);
        thread.worker.ref();
        return;
      }
      const timer = setTimeout(() => {
        this.abandon(slot, thread, errors.timeout(`the OpenAPI document took longer than ${job.timeoutMs} ms to process and was abandoned`));
      }, job.timeoutMs);
      slot.current = { job, timer };
      thread.worker.ref();
      const message: DocumentRequest = { ...job.request, id: this.nextId++ };
      if (message.op === 'load') {
        // Handed over rather than copied: decoding and copying megabytes is work for the worker.
        const body = message.body.byteOffset === 0 && message.body.byteLength === message.body.buffer.byteLength && message.body.buffer instanceof ArrayBuffer ? message.body : message.body.slice();
        thread.worker.postMessage({ ...message, body }, [body.buffer as ArrayBuffer]);
      } else thread.worker.postMessage(message);
    }
  }

  /** Prepares, checks and drops first (they take milliseconds); then loads, tenants sharing the slot taking turns. */
  private next(slot: Slot): Job | undefined {
    let index = slot.queue.findIndex((job) => job.request.op !== 'load');
    if (index < 0) {
      index = slot.queue.findIndex((job) => job.tenant !== slot.lastLoadTenant);
      if (index < 0) index = 0;
    }
    const [job] = slot.queue.splice(index, 1);
    if (job?.request.op === 'load') slot.lastLoadTenant = job.tenant;
    return job;
  }

  private spawn(slot: Slot): Thread {
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { role: DOCUMENT_WORKER_ROLE, ...workerEntry() },
      resourceLimits: { maxOldGenerationSizeMb: this.options.maxMemoryMb },
    });
    this.started++;
    worker.unref();
    const thread = new Thread(worker);
    worker.on('message', (reply: DocumentReply | DocumentWorkerReady) => {
      if (!thread.alive || slot.thread !== thread) return;
      if ('ready' in reply) {
        thread.ready = true;
        this.pump(slot);
        return;
      }
      if (!slot.current) return;
      const { job, timer } = slot.current;
      slot.current = undefined;
      clearTimeout(timer);
      thread.held = reply.held;
      if (reply.ok) job.resolve({ reply, thread });
      else job.reject(toError(reply));
      this.pump(slot);
    });
    worker.on('error', (error: Error & { code?: string }) => {
      const reason = error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `ran out of memory (limit ${this.options.maxMemoryMb} MB)` : `failed: ${error.message}`;
      this.abandon(slot, thread, errors.runtime(`the OpenAPI document worker ${reason}`));
    });
    worker.on('exit', () => this.abandon(slot, thread, errors.runtime('the OpenAPI document worker stopped')));
    return thread;
  }

  /**
   * Stops a slot's thread: the request it was running fails with `error`; the queued ones stay and
   * run on a fresh thread (a prepare or drop for a document of the stopped thread settles at once).
   * A thread that fails before it is ready fails the queue instead, rather than starting again and again.
   */
  private abandon(slot: Slot, thread: Thread, error: WorkflowError): void {
    if (!thread.alive) return;
    void this.stop(thread);
    if (slot.thread !== thread) return;
    slot.thread = undefined;
    const failed = thread.ready ? [] : slot.queue.splice(0);
    const current = slot.current;
    slot.current = undefined;
    if (current) {
      clearTimeout(current.timer);
      failed.unshift(current.job);
    }
    for (const job of failed) job.reject(error);
    this.pump(slot);
  }

  private stop(thread: Thread): Promise<unknown> {
    thread.alive = false;
    return thread.worker.terminate().catch(() => undefined);
  }

  private isIdle(): boolean {
    return this.slots.every((s) => !s.current && s.queue.length === 0);
  }

  private settled(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
