import { Worker } from 'node:worker_threads';
import { errors } from '../../domain/workflow-error';
import { GRAPHQL_VALIDATION_ROLE, ValidationReply, ValidationRequest } from './graphql-validation-protocol';

/** The worker's bootstrap: the compiled module, or the TypeScript one under ts-node (tests). */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
if (workerData.tsNode) require(workerData.tsNode);
require(workerData.entry);
`;

interface Job {
  request: Omit<ValidationRequest, 'id'>;
  /** Epoch ms by which the job must have ended: the time spent waiting in the queue counts. */
  deadline: number;
  resolve: (reply: ValidationReply) => void;
  reject: (error: Error) => void;
}

export interface ValidationThreadSettings {
  /** Longest job, in ms. */
  timeoutMs: number;
  /** Heap of the worker thread, MB: a schema that needs more fails, the service does not. */
  maxMemoryMb: number;
  /** Most jobs waiting for the thread; more fail at once with BUSY (default 64). */
  maxQueued?: number;
}

const DEFAULT_MAX_QUEUED = 64;

/**
 * Runs GraphQL schema builds and validations one at a time in a worker thread, each within the
 * time limit counted from its request (waiting in the bounded queue included): a job that runs longer (or a worker that dies) fails with a timeout and the thread is
 * replaced, forgetting its schemas (`generation` counts the threads, so callers know to send a
 * schema's introspection again).
 */
export class GraphqlValidationThread {
  private worker: Worker | undefined;
  private readonly queue: Job[] = [];
  private current: { id: number; job: Job; timer: NodeJS.Timeout } | undefined;
  private next = 0;
  private closed = false;
  /** Threads started so far: a schema loaded into an earlier one must be sent again. */
  generation = 0;

  constructor(private readonly settings: ValidationThreadSettings) {}

  run(request: Omit<ValidationRequest, 'id'>): Promise<ValidationReply> {
    if (this.closed) return Promise.reject(errors.runtime('the GraphQL validation thread is closed'));
    const max = this.settings.maxQueued ?? DEFAULT_MAX_QUEUED;
    if (this.queue.length >= max) return Promise.reject(errors.busy(`too many GraphQL validations wait for the validation thread (at most ${max}); try again later`));
    return new Promise<ValidationReply>((resolve, reject) => {
      this.queue.push({ request, deadline: Date.now() + this.settings.timeoutMs, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(errors.cancelled('the service is stopping'));
    if (this.current) this.finish(errors.cancelled('the service is stopping'));
    await this.retire();
  }

  private pump(): void {
    if (this.current) return;
    let job = this.queue.shift();
    // A job whose time ran out while it waited is not run: its caller has its answer already.
    while (job && job.deadline <= Date.now()) {
      job.reject(errors.timeout(`GraphQL validation took longer than ${this.settings.timeoutMs} ms (it waited for the validation thread, busy with other queries)`));
      job = this.queue.shift();
    }
    if (!job) return;
    const id = ++this.next;
    const timer = setTimeout(() => {
      this.finish(errors.timeout(`GraphQL validation took longer than ${this.settings.timeoutMs} ms`));
      // The job may never end: the thread goes with it.
      void this.retire();
      this.pump();
    }, job.deadline - Date.now());
    this.current = { id, job, timer };
    this.thread().postMessage({ ...job.request, id } satisfies ValidationRequest);
  }

  private finish(outcome: ValidationReply | Error): void {
    const current = this.current;
    if (!current) return;
    this.current = undefined;
    clearTimeout(current.timer);
    if (outcome instanceof Error) current.job.reject(outcome);
    else current.job.resolve(outcome);
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const entry = require.resolve('./graphql-validation-worker');
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { role: GRAPHQL_VALIDATION_ROLE, entry, tsNode: entry.endsWith('.ts') ? require.resolve('ts-node/register/transpile-only') : undefined },
      resourceLimits: { maxOldGenerationSizeMb: this.settings.maxMemoryMb },
    });
    this.generation++;
    worker.on('message', (reply: ValidationReply) => {
      if (this.worker !== worker || this.current?.id !== reply.id) return;
      this.finish(reply);
      this.pump();
    });
    const died = (why: string): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.finish(errors.runtime(`the GraphQL validation thread stopped: ${why}`));
      this.pump();
    };
    worker.on('error', (error) => died(error.message));
    worker.on('exit', (code) => died(`exit code ${code}`));
    // After the listeners, which would hold the process again: an idle thread never keeps it alive.
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
