import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { abortReason } from '../../application/ports/clock.port';
import { errors, WorkflowError } from '../../domain/workflow-error';
import { JQ_WORKER_SOURCE, WasmModule, WorkerData, WorkerReply, WorkerRequest, WorkerResult } from './jq-worker-program';

export interface JqWorkerPoolOptions {
  /** Most worker threads at once; one is kept warm once started. */
  maxWorkers: number;
  /** Heap limit of one worker (V8 old generation and jq's WebAssembly heap), MB. */
  maxMemoryMb: number;
  /** Cap on one batch's run time, ms (a batch also gets the caller's own limit). */
  timeoutMs: number;
  /** Largest JSON text of one batch's results, bytes. */
  maxResultBytes: number;
  /** Deepest nesting of a result. */
  maxDepth: number;
  /** A worker beyond the first that has been idle this long is stopped, ms. */
  idleMs: number;
}

interface Job {
  request: Omit<WorkerRequest, 'id'>;
  /** Whose work this is (a tenant): one key never holds every worker. */
  share: string;
  timeoutMs: number;
  resolve(results: WorkerResult[]): void;
  reject(error: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  slot: Slot | undefined;
  timer: NodeJS.Timeout | undefined;
  startedAt: number;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job: Job | undefined;
  idleTimer: NodeJS.Timeout | undefined;
}

/** jq's WebAssembly module, compiled once per process and shared by every worker. */
let compiled: { jqPath: string; wasmModule: WasmModule } | undefined;

function jqModule(): { jqPath: string; wasmModule: WasmModule } {
  if (!compiled) {
    const wasm = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => WasmModule } }).WebAssembly;
    compiled = { jqPath: require.resolve('jq-wasm'), wasmModule: new wasm.Module(readFileSync(require.resolve('jq-wasm/jq.wasm'))) };
  }
  return compiled;
}

/**
 * Worker threads that run jq, each stoppable at any moment: a batch that runs past its time limit
 * is stopped by terminating its worker (the only way to stop a WebAssembly computation), and the
 * worker is replaced when next needed. Workers are started on demand up to `maxWorkers`, so a few
 * runaway expressions never leave the others waiting for a thread; batches queue only beyond that.
 */
export class JqWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private started = 0;
  /** Workers that died before they were ready, in a row (a limit too small to start jq, say). */
  private startupFailures = 0;
  private spawnBlockedUntil = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: JqWorkerPoolOptions) {}

  /** Workers started since creation (replacements included). */
  get workersStarted(): number {
    return this.started;
  }

  /** Workers running a batch now. */
  get busy(): number {
    return this.slots.filter((s) => s.job).length;
  }

  /** Workers alive now. */
  get size(): number {
    return this.slots.length;
  }

  /** Resolves once no batch is queued or running: `true` if it had to wait. */
  async whenIdle(): Promise<boolean> {
    if (this.isIdle()) return false;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    return true;
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.slots.every((s) => !s.job);
  }

  run(request: Omit<WorkerRequest, 'id'>, timeoutMs: number, signal?: AbortSignal, share = ''): Promise<WorkerResult[]> {
    if (this.closed) return Promise.reject(errors.expression('the expression evaluator is closed'));
    if (signal?.aborted) return Promise.reject(reasonOf(signal));
    return new Promise<WorkerResult[]>((resolve, reject) => {
      const job: Job = {
        request,
        share,
        timeoutMs: Math.max(1, Math.min(this.options.timeoutMs, timeoutMs)),
        resolve,
        reject,
        signal,
        onAbort: undefined,
        slot: undefined,
        timer: undefined,
        startedAt: 0,
      };
      if (signal) {
        job.onAbort = () => this.cancel(job, reasonOf(signal));
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
      this.pump();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = errors.expression('the expression evaluator is closed');
    for (const job of this.queue.splice(0)) this.settle(job, error);
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      if (slot.job) this.settle(slot.job, error);
      if (slot.idleTimer) clearTimeout(slot.idleTimer);
    }
    await Promise.all(slots.map((slot) => slot.worker.terminate().catch(() => undefined)));
  }

  /**
   * Starts queued batches on idle workers, fairly across shares (tenants): the next batch is the
   * oldest one of the share with the fewest batches running. One share alone may use up to
   * `maxWorkers` workers. While every worker is busy, one more is kept started and idle (up to twice
   * `maxWorkers` in all), so that a tenant's expression never waits for other tenants' runaway ones
   * to be stopped, nor for a thread to start on cores they keep busy. Extra workers stop once idle.
   */
  private pump(): void {
    while (!this.closed) {
      const running = new Map<string, number>();
      for (const slot of this.slots) if (slot.job) running.set(slot.job.share, (running.get(slot.job.share) ?? 0) + 1);
      // Stable: within a share (and between shares running as many) the oldest first.
      const eligible = this.queue.filter((job) => (running.get(job.share) ?? 0) < this.options.maxWorkers).sort((a, b) => (running.get(a.share) ?? 0) - (running.get(b.share) ?? 0));
      const job = eligible[0];
      const slot = this.slots.find((s) => s.ready && !s.job);
      if (job && slot) {
        this.queue.splice(this.queue.indexOf(job), 1);
        this.dispatch(slot, job);
        continue;
      }
      if (Date.now() < this.spawnBlockedUntil) return;
      const starting = this.slots.filter((s) => !s.ready).length;
      if (this.slots.length < this.options.maxWorkers && starting < eligible.length) {
        this.spawn();
        continue;
      }
      const busy = this.slots.some((s) => s.job);
      if (busy && !slot && starting === 0 && this.slots.length < this.options.maxWorkers * 2) {
        this.spawn();
        continue;
      }
      return;
    }
  }

  private spawn(): void {
    const { jqPath, wasmModule } = jqModule();
    const workerData: WorkerData = {
      jqPath,
      wasmModule,
      maxWasmBytes: this.options.maxMemoryMb * 1024 * 1024,
      maxResultBytes: this.options.maxResultBytes,
      maxDepth: this.options.maxDepth,
    };
    const worker = new Worker(JQ_WORKER_SOURCE, {
      eval: true,
      workerData,
      resourceLimits: { maxOldGenerationSizeMb: this.options.maxMemoryMb, maxYoungGenerationSizeMb: Math.min(32, Math.max(4, this.options.maxMemoryMb / 8)) },
    });
    this.started++;
    const slot: Slot = { worker, ready: false, job: undefined, idleTimer: undefined };
    this.slots.push(slot);
    worker.on('message', (message: WorkerReply | { ready: true }) => {
      if ('ready' in message) {
        slot.ready = true;
        this.startupFailures = 0;
        this.idle(slot);
        this.pump();
        return;
      }
      this.reply(slot, message);
    });
    worker.on('error', (error: Error & { code?: string }) => {
      if (!slot.ready) return this.startupFailed(slot, error.message);
      const limit = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.retire(
        slot,
        limit
          ? errors.expressionLimit(`an expression exceeded the memory limit of ${this.options.maxMemoryMb} MB and was stopped`, { limit_mb: this.options.maxMemoryMb })
          : errors.expression(`the expression worker failed: ${error.message}`),
      );
    });
    worker.on('exit', () => (slot.ready ? this.retire(slot, errors.expression('the expression worker stopped unexpectedly')) : this.startupFailed(slot, 'it stopped while starting')));
  }

  /**
   * A worker that cannot even start (its memory limit is too small for jq, say) is not restarted in a
   * loop: after three in a row, what is queued fails with the reason, and new workers are tried again
   * after a second.
   */
  private startupFailed(slot: Slot, reason: string): void {
    this.startupFailures++;
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    slot.worker.removeAllListeners('exit');
    void slot.worker.terminate().catch(() => undefined);
    if (this.startupFailures >= 3) {
      this.spawnBlockedUntil = Date.now() + 1000;
      const error = errors.expression(`expression workers cannot start (${reason}); EXPRESSION_MAX_MEMORY_MB=${this.options.maxMemoryMb} may be too small`);
      for (const job of this.queue.splice(0)) this.settle(job, error);
      setTimeout(() => this.pump(), 1000).unref();
      return;
    }
    this.pump();
  }

  private dispatch(slot: Slot, job: Job): void {
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    slot.idleTimer = undefined;
    slot.job = job;
    job.slot = slot;
    job.startedAt = Date.now();
    job.timer = setTimeout(() => {
      const error = errors.expressionTimeout(`an expression ran longer than its limit of ${job.timeoutMs} ms and was stopped`, { timeout_ms: job.timeoutMs });
      this.retire(slot, error);
    }, job.timeoutMs);
    slot.worker.ref();
    slot.worker.postMessage({ ...job.request, id: this.nextId++ } satisfies WorkerRequest);
  }

  private reply(slot: Slot, message: WorkerReply): void {
    const job = slot.job;
    if (!job) return;
    slot.job = undefined;
    if ('results' in message) {
      this.settle(job, undefined, message.results);
      this.idle(slot);
      this.pump();
      return;
    }
    // After a limit or a failure the jq instance may be unusable: replace the worker.
    const error =
      'limit' in message
        ? errors.expressionLimit(`an expression exceeded a limit: ${message.limit}`, { limit_mb: this.options.maxMemoryMb })
        : errors.expression(`jq failed: ${message.fatal}`);
    job.slot = undefined;
    this.settle(job, error);
    this.retire(slot, error);
  }

  /** Stops a worker (if still alive) and fails its job, if any, with `error`. */
  private retire(slot: Slot, error: WorkflowError): void {
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    const job = slot.job;
    slot.job = undefined;
    if (job) this.settle(job, error);
    slot.worker.removeAllListeners('exit');
    void slot.worker.terminate().catch(() => undefined);
    this.pump();
  }

  private cancel(job: Job, reason: unknown): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.settle(job, reason);
      return;
    }
    if (job.slot && job.slot.job === job) this.retire(job.slot, reason instanceof WorkflowError ? reason : errors.expression('expression evaluation cancelled'));
  }

  private settle(job: Job, error: unknown, results?: WorkerResult[]): void {
    if (job.timer) clearTimeout(job.timer);
    job.timer = undefined;
    if (job.signal && job.onAbort) job.signal.removeEventListener('abort', job.onAbort);
    job.onAbort = undefined;
    if (job.slot?.job === job) job.slot.job = undefined;
    if (results) job.resolve(results);
    else job.reject(error);
    if (this.idleWaiters.length > 0 && this.isIdle()) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** An idle worker lets the process exit; the extra ones are stopped after `idleMs`. */
  private idle(slot: Slot): void {
    slot.worker.unref();
    if (this.slots[0] === slot || slot.idleTimer) return;
    slot.idleTimer = setTimeout(() => {
      slot.idleTimer = undefined;
      // One idle worker is kept; the others stop.
      const idle = this.slots.filter((s) => s.ready && !s.job).length;
      if (!slot.job && this.slots.length > 1 && idle > 1) this.retire(slot, errors.expression('idle'));
    }, this.options.idleMs);
    slot.idleTimer.unref();
  }
}

function reasonOf(signal: AbortSignal): Error {
  return signal.reason === undefined ? errors.expression('expression evaluation cancelled') : abortReason(signal);
}
