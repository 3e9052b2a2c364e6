import { FlunqEvent, TASK_REQUESTED } from '../../domain/flunq-event';
import { DeadLetterNote, InboundTask, ReadGate, TaskClaim, TaskInbox } from '../ports/task-inbox.port';

/** What the observed inbox reports to (TaskActivity). */
export interface InboxObserver {
  received(task: InboundTask): void;
  settled(task: InboundTask, how: 'completed' | 'dead_letter' | 'discarded', completion: FlunqEvent | undefined, reason?: string): void;
  released(task: InboundTask): void;
}

/** A delivery that reports how it settles, once the backend has taken the settlement. */
class ObservedTask implements InboundTask {
  constructor(
    private readonly inner: InboundTask,
    private readonly observer: InboxObserver,
  ) {}

  get event(): FlunqEvent {
    return this.inner.event;
  }

  get sizeBytes(): number {
    return this.inner.sizeBytes;
  }

  get attempt(): number {
    return this.inner.attempt;
  }

  get idempotencyKey(): string {
    return this.inner.idempotencyKey;
  }

  get origin(): string {
    return this.inner.origin;
  }

  claim(): Promise<TaskClaim> {
    return this.inner.claim();
  }

  async complete(completion: FlunqEvent): Promise<void> {
    await this.inner.complete(completion);
    this.observer.settled(this, 'completed', completion);
  }

  async deadLetter(note: DeadLetterNote, completion?: FlunqEvent): Promise<void> {
    await this.inner.deadLetter(note, completion);
    this.observer.settled(this, 'dead_letter', completion, note.reason);
  }

  async discard(): Promise<void> {
    await this.inner.discard();
    this.observer.settled(this, 'discarded', undefined);
  }

  renew(): Promise<boolean> {
    return this.inner.renew();
  }

  async release(): Promise<void> {
    await this.inner.release();
    this.observer.released(this);
  }
}

/**
 * A task inbox that tells an observer about every task request it hands out and how each one
 * settled (after the backend took it: a failed settlement is retried by the caller, or the task
 * stays running). Other events pass through unobserved.
 */
export class ObservedTaskInbox implements TaskInbox {
  constructor(
    private readonly inner: TaskInbox,
    private readonly observer: InboxObserver,
  ) {}

  async receive(max: number, signal: AbortSignal, gate?: ReadGate): Promise<InboundTask[]> {
    const tasks = await this.inner.receive(max, signal, gate);
    return tasks.map((task) => {
      if (task.event.type !== TASK_REQUESTED) return task;
      const observed = new ObservedTask(task, this.observer);
      this.observer.received(observed);
      return observed;
    });
  }

  isReady(): boolean {
    return this.inner.isReady();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
