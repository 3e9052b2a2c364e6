import { Worker } from 'node:worker_threads';
import { FairQueue } from '../../domain/fair-queue';
import { errors } from '../../domain/workflow-error';

/** The worker's bootstrap: the compiled module, or the TypeScript one under ts-node (tests). */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
if (workerData.tsNode) require(workerData.tsNode);
require(workerData.entry);
`;

/** What the thread's errors say: each thread names the work it does. */
export interface IsolatedThreadTexts {
  /** A job asked of a closed thread. */
  closed: string;
  /** The tenant's share of the queue is full (`max` jobs). */
  tenantBusy: (max: number) => string;
  /** The whole queue is full (`max` jobs). */
  busy: (max: number) => string;
  /** The job's time ran out while it waited for the thread. */
  expired: (timeoutMs: number) => string;
  /** The job ran past its time limit. */
  overran: (timeoutMs: number) => string;
  /** The thread stopped (`why`: its error, or its exit code) while running the job. */
  died: (why: string) => string;
}

/** How much an isolated thread may take: its heap and its queue. */
export interface IsolatedThreadLimits {
  /** Heap of the worker thread, MB: a job that needs more fails, the service does not. */
  maxMemoryMb: number;
  /** Most jobs one tenant may have waiting for the thread; more fail at once with BUSY. */
  maxQueuedPerTenant: number;
  /** Most jobs waiting in all. */
  maxQueued: number;
}

/** The limits of every isolated thread unless its owner says otherwise. */
export const DEFAULT_THREAD_LIMITS: IsolatedThreadLimits = { maxMemoryMb: 256, maxQueuedPerTenant: 8, maxQueued: 64 };

export interface IsolatedThreadSettings extends IsolatedThreadLimits {
  /** The worker module, as `require.resolve` finds it (a `.ts` one is run under ts-node). */
  entry: string;
  /** Put in the worker's workerData.role: the worker module serves only when it is its own. */
  role: string;
  texts: IsolatedThreadTexts;
}

/** Every message to and from the worker carries the id of its job. */
export interface JobMessage {
  id: number;
}

interface Job<Request, Reply> {
  id: number;
  request: Request;
  timeoutMs: number;
  /** Epoch ms by which the job must have ended: the time spent waiting in the queue counts. */
  deadline: number;
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
}

/**
 * Runs hostile work (untrusted documents and queries) one job at a time in a worker thread, each
 * within its time limit counted from its request: a job that runs longer fails with a timeout and
 * the thread is replaced (the work may never end), a thread that dies fails its job, so a hostile
 * job costs its own task its deadline and never stalls the event loop. Tenants wait in turns (one
 * tenant's backlog delays another tenant's job by one job per tenant ahead, not by the whole
 * backlog), the queue is bounded per tenant and in all, and a job whose time ran out while it
 * waited is never run: its caller has its answer already.
 */
export class IsolatedThread<Request extends object, Reply extends JobMessage> {
  private worker: Worker | undefined;
  private readonly queue: FairQueue<Job<Request, Reply>>;
  private current: { job: Job<Request, Reply>; timer: NodeJS.Timeout } | undefined;
  private next = 0;
  private closed = false;
  /** Threads started so far (a replaced one counts again): state sent to an earlier one is gone. */
  started = 0;

  constructor(private readonly settings: IsolatedThreadSettings) {
    this.queue = new FairQueue({ perShare: settings.maxQueuedPerTenant, total: settings.maxQueued });
  }

  /** Jobs waiting for the thread (the one running not counted). */
  get queued(): number {
    return this.queue.size;
  }

  /** The worker's reply to `request`, within `timeoutMs` from now; `tenant` is the queue's share. */
  run(tenant: string, request: Request, timeoutMs: number): Promise<Reply> {
    const { texts } = this.settings;
    if (this.closed) return Promise.reject(errors.runtime(texts.closed));
    return new Promise<Reply>((resolve, reject) => {
      const job = { id: ++this.next, request, timeoutMs, deadline: Date.now() + timeoutMs, resolve, reject };
      const queued = this.queue.push(tenant, job);
      if (queued === 'share-full') reject(errors.busy(texts.tenantBusy(this.settings.maxQueuedPerTenant)));
      else if (queued === 'full') reject(errors.busy(texts.busy(this.settings.maxQueued)));
      else this.pump();
    });
  }

  /** Fails the waiting jobs and the running one as cancelled, and stops the thread. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.drain()) job.reject(errors.cancelled('the service is stopping'));
    if (this.current) this.finish(errors.cancelled('the service is stopping'));
    await this.retire();
  }

  private pump(): void {
    if (this.current) return;
    let job = this.queue.shift();
    while (job && job.deadline <= Date.now()) {
      job.reject(errors.timeout(this.settings.texts.expired(job.timeoutMs)));
      job = this.queue.shift();
    }
    if (!job) return;
    const running = job;
    const timer = setTimeout(() => {
      this.finish(errors.timeout(this.settings.texts.overran(running.timeoutMs)));
      // The job may never end: the thread goes with it.
      void this.retire();
      this.pump();
    }, job.deadline - Date.now());
    this.current = { job, timer };
    try {
      this.thread().postMessage({ ...job.request, id: job.id });
    } catch (error) {
      // The job could not be handed over (a thread that cannot start, a request that cannot be
      // copied): it fails alone, and the queue goes on.
      this.finish(errors.runtime(this.settings.texts.died(error instanceof Error ? error.message : String(error))));
      void this.retire();
      this.pump();
    }
  }

  private finish(outcome: Reply | Error): void {
    const current = this.current;
    if (!current) return;
    this.current = undefined;
    clearTimeout(current.timer);
    if (outcome instanceof Error) current.job.reject(outcome);
    else current.job.resolve(outcome);
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const { entry, role, maxMemoryMb } = this.settings;
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { role, entry, tsNode: entry.endsWith('.ts') ? require.resolve('ts-node/register/transpile-only') : undefined },
      resourceLimits: { maxOldGenerationSizeMb: maxMemoryMb },
    });
    this.started++;
    worker.on('message', (reply: Reply) => {
      if (this.worker !== worker || this.current?.job.id !== reply.id) return;
      this.finish(reply);
      this.pump();
    });
    const died = (why: string): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.finish(errors.runtime(this.settings.texts.died(why)));
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
