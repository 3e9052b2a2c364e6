import { IsolatedThread } from '../worker-thread/isolated-thread';
import { GRAPHQL_VALIDATION_ROLE, ValidationReply, ValidationRequest } from './graphql-validation-protocol';

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
 * Runs GraphQL schema builds and validations one at a time in a worker thread (an IsolatedThread),
 * each within the time limit counted from its request (waiting in the bounded queue included): a
 * job that runs longer (or a worker that dies) fails and the thread is replaced, forgetting its
 * schemas (`generation` counts the threads, so callers know to send a schema's introspection again).
 */
export class GraphqlValidationThread {
  private readonly thread: IsolatedThread<Omit<ValidationRequest, 'id'>, ValidationReply>;

  constructor(private readonly settings: ValidationThreadSettings) {
    const maxQueued = settings.maxQueued ?? DEFAULT_MAX_QUEUED;
    this.thread = new IsolatedThread({
      entry: require.resolve('./graphql-validation-worker'),
      role: GRAPHQL_VALIDATION_ROLE,
      maxMemoryMb: settings.maxMemoryMb,
      maxQueuedPerTenant: maxQueued,
      maxQueued,
      texts: {
        closed: 'the GraphQL validation thread is closed',
        tenantBusy: (max) => `too many GraphQL validations wait for the validation thread (at most ${max}); try again later`,
        busy: (max) => `too many GraphQL validations wait for the validation thread (at most ${max}); try again later`,
        expired: (ms) => `GraphQL validation took longer than ${ms} ms (it waited for the validation thread, busy with other queries)`,
        overran: (ms) => `GraphQL validation took longer than ${ms} ms`,
        died: (why) => `the GraphQL validation thread stopped: ${why}`,
      },
    });
  }

  /** Threads started so far: a schema loaded into an earlier one must be sent again. */
  get generation(): number {
    return this.thread.started;
  }

  run(request: Omit<ValidationRequest, 'id'>): Promise<ValidationReply> {
    return this.thread.run('', request, this.settings.timeoutMs);
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
