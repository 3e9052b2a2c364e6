import { DEFAULT_THREAD_LIMITS, IsolatedThread, IsolatedThreadLimits } from '../worker-thread/isolated-thread';
import { GRAPHQL_VALIDATION_ROLE, ValidationReply, ValidationRequest } from './graphql-validation-protocol';

export interface ValidationThreadSettings extends Partial<IsolatedThreadLimits> {
  /** Longest job, in ms. */
  timeoutMs: number;
}

/**
 * Runs GraphQL schema builds and validations one at a time in a worker thread (an IsolatedThread),
 * each within the time limit counted from its request (waiting in the queue included; tenants wait
 * in turns, the queue bounded per tenant and in all): a
 * job that runs longer (or a worker that dies) fails and the thread is replaced, forgetting its
 * schemas (`generation` counts the threads, so callers know to send a schema's introspection again).
 */
export class GraphqlValidationThread {
  private readonly thread: IsolatedThread<Omit<ValidationRequest, 'id'>, ValidationReply>;

  constructor(private readonly settings: ValidationThreadSettings) {
    const { timeoutMs: _timeoutMs, ...limits } = settings;
    this.thread = new IsolatedThread({
      entry: require.resolve('./graphql-validation-worker'),
      role: GRAPHQL_VALIDATION_ROLE,
      ...DEFAULT_THREAD_LIMITS,
      ...limits,
      texts: {
        closed: 'the GraphQL validation thread is closed',
        tenantBusy: (max) => `too many GraphQL validations of this tenant wait for the validation thread (at most ${max}); try again later`,
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

  /** The thread's answer to `request`; `tenant`'s jobs wait in turns with other tenants'. */
  run(request: Omit<ValidationRequest, 'id'>, tenant = ''): Promise<ValidationReply> {
    return this.thread.run(tenant, request, this.settings.timeoutMs);
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
