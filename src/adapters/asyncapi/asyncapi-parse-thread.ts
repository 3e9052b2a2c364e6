import { Worker } from 'node:worker_threads';
import { AsyncApiModel } from '../../application/ports/asyncapi-documents.port';
import { FairQueue } from '../../domain/fair-queue';
import { errors } from '../../domain/workflow-error';
import { ASYNCAPI_PARSE_ROLE, ParseReply } from './asyncapi-parse-protocol';

/** The worker's bootstrap: the compiled module, or the TypeScript one under ts-node (tests). */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
if (workerData.tsNode) require(workerData.tsNode);
require(workerData.entry);
`;

interface Job {
  id: number;
  text: string;
  url: string;
  timeoutMs: number;
  /** Epoch ms by which the parse must have ended: the time spent waiting in the queue counts. */
  deadline: number;
  resolve: (model: AsyncApiModel) => void;
  reject: (error: Error) => void;
}

export interface ParseThreadSettings {
  /** Heap of the worker thread, MB: a document that needs more fails, the service does not. */
  maxMemoryMb: number;
  /** Most documents one tenant may have waiting for the thread; more fail at once with BUSY. */
  maxQueuedPerTenant?: number;
  /** Most documents waiting in all. */
  maxQueued?: number;
}

const DEFAULT_QUEUE = { perShare: 8, total: 64 };

/**
 * Parses AsyncAPI documents one at a time in a worker thread, each within its time limit: a parse
 * that runs longer (or a worker that dies) fails with a timeout and the thread is replaced, so a
 * hostile document costs its own task its deadline and never stalls the event loop. Tenants wait in
 * turns (one tenant's many slow documents delay another tenant's by one parse per tenant ahead, not
 * by the whole backlog), the queue is bounded per tenant and in all, and the time limit counts from
 * the request, so a document whose caller gave up waiting is never parsed.
 */
export class AsyncApiParseThread {
  private worker: Worker | undefined;
  private readonly queue: FairQueue<Job & { tenant: string }>;
  private current: { job: Job; timer: NodeJS.Timeout } | undefined;
  private next = 0;
  private closed = false;
  /** Threads started so far (a replaced one counts again). */
  started = 0;

  constructor(private readonly settings: ParseThreadSettings = { maxMemoryMb: 256 }) {
    this.queue = new FairQueue({ perShare: settings.maxQueuedPerTenant ?? DEFAULT_QUEUE.perShare, total: settings.maxQueued ?? DEFAULT_QUEUE.total });
  }

  /** Documents waiting for the thread (the one being parsed not counted). */
  get queued(): number {
    return this.queue.size;
  }

  parse(text: string, url: string, timeoutMs: number, tenant = ''): Promise<AsyncApiModel> {
    if (this.closed) return Promise.reject(errors.runtime('the AsyncAPI parser is closed'));
    return new Promise<AsyncApiModel>((resolve, reject) => {
      const job = { id: ++this.next, text, url, timeoutMs, deadline: Date.now() + timeoutMs, resolve, reject, tenant };
      const queued = this.queue.push(tenant, job);
      if (queued === 'share-full') reject(errors.busy(`too many AsyncAPI documents of this tenant wait to be parsed (at most ${this.settings.maxQueuedPerTenant ?? DEFAULT_QUEUE.perShare}); try again later`));
      else if (queued === 'full') reject(errors.busy(`too many AsyncAPI documents wait to be parsed (at most ${this.settings.maxQueued ?? DEFAULT_QUEUE.total}); try again later`));
      else this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.drain()) job.reject(errors.cancelled('the service is stopping'));
    if (this.current) this.finish(errors.cancelled('the service is stopping'));
    await this.retire();
  }

  private pump(): void {
    if (this.current) return;
    let job = this.queue.shift();
    // A document whose time ran out while it waited is not parsed: its caller has given up.
    while (job && job.deadline <= Date.now()) {
      job.reject(errors.timeout(`parsing the AsyncAPI document took longer than ${job.timeoutMs} ms (it waited for the parser, busy with other documents)`));
      job = this.queue.shift();
    }
    if (!job) return;
    const timer = setTimeout(() => {
      this.finish(errors.timeout(`parsing the AsyncAPI document took longer than ${job.timeoutMs} ms`));
      // The parse may never end: the thread goes with it.
      void this.retire();
      this.pump();
    }, job.deadline - Date.now());
    this.current = { job, timer };
    this.thread().postMessage({ id: job.id, text: job.text, url: job.url });
  }

  private finish(outcome: AsyncApiModel | Error): void {
    const current = this.current;
    if (!current) return;
    this.current = undefined;
    clearTimeout(current.timer);
    if (outcome instanceof Error) current.job.reject(outcome);
    else current.job.resolve(outcome);
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const entry = require.resolve('./asyncapi-parse-worker');
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { role: ASYNCAPI_PARSE_ROLE, entry, tsNode: entry.endsWith('.ts') ? require.resolve('ts-node/register/transpile-only') : undefined },
      resourceLimits: { maxOldGenerationSizeMb: this.settings.maxMemoryMb },
    });
    this.started++;
    worker.on('message', (reply: ParseReply) => {
      if (this.worker !== worker || this.current?.job.id !== reply.id) return;
      this.finish(reply.ok ? reply.model : errors.configuration(`not a usable AsyncAPI document: ${reply.problem}`));
      this.pump();
    });
    const died = (why: string): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.finish(errors.runtime(`the AsyncAPI parser stopped: ${why}`));
      this.pump();
    };
    worker.on('error', (error) => died(error.message));
    worker.on('exit', (code) => died(`exit code ${code}`));
    // After the listeners, which would hold the process again: an idle parser never keeps it alive.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  /** Stops the thread; a thread that does not end within a second is left to the process's exit. */
  private async retire(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 1000);
      timer.unref();
    });
    await Promise.race([worker.terminate().then(() => undefined, () => undefined), late]);
    clearTimeout(timer);
  }
}
