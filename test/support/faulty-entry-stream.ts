import { Delivery, EntryStream, OutgoingEntry, TaskClaim } from '../../src/adapters/flunq-wire/entry-stream';

export type StreamOperation = 'receive' | 'settle' | 'acknowledge' | 'claimTask' | 'keepAlive';

/** Outages to simulate: the next `count` calls of an operation fail with `message`. */
export class FaultPlan {
  private readonly faults = new Map<StreamOperation, { remaining: number; message: string }>();

  inject(operation: StreamOperation, count: number, message = `${operation} unavailable`): void {
    this.faults.set(operation, { remaining: count, message });
  }

  /** Rejects when a failure is planned for this call. */
  check(operation: StreamOperation): Promise<void> {
    const fault = this.faults.get(operation);
    if (!fault || fault.remaining <= 0) return Promise.resolve();
    fault.remaining--;
    return Promise.reject(new Error(fault.message));
  }
}

/** An entry stream whose operations fail as a FaultPlan says, before reaching the real one. */
export class FaultyEntryStream implements EntryStream {
  constructor(
    private readonly inner: EntryStream,
    private readonly plan: FaultPlan,
  ) {}

  async receive(max: number, signal: AbortSignal, admits?: (stream: string) => boolean): Promise<Delivery[]> {
    await this.plan.check('receive');
    return this.inner.receive(max, signal, admits);
  }

  async settle(delivery: Delivery, entries: readonly OutgoingEntry[], taskId?: string): Promise<void> {
    await this.plan.check('settle');
    return this.inner.settle(delivery, entries, taskId);
  }

  async acknowledge(delivery: Delivery): Promise<void> {
    await this.plan.check('acknowledge');
    return this.inner.acknowledge(delivery);
  }

  release(delivery: Delivery): Promise<void> {
    return this.inner.release(delivery);
  }

  async claimTask(delivery: Delivery, key: string): Promise<TaskClaim> {
    await this.plan.check('claimTask');
    return this.inner.claimTask(delivery, key);
  }

  async keepAlive(delivery: Delivery): Promise<boolean | void> {
    await this.plan.check('keepAlive');
    return this.inner.keepAlive(delivery);
  }

  isReady(): boolean {
    return this.inner.isReady();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
