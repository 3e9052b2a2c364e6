import { AsyncApiModel } from '../../application/ports/asyncapi-documents.port';
import { errors } from '../../domain/workflow-error';
import { DEFAULT_THREAD_LIMITS, IsolatedThread, IsolatedThreadLimits } from '../worker-thread/isolated-thread';
import { ASYNCAPI_PARSE_ROLE, ParseReply, ParseRequest } from './asyncapi-parse-protocol';

/**
 * Parses AsyncAPI documents one at a time in a worker thread (an IsolatedThread), each within its
 * time limit counted from the request: a parse that runs longer (or a worker that dies) fails and
 * the thread is replaced, so a hostile document costs its own task its deadline and never stalls
 * the event loop. Tenants wait in turns, the queue is bounded per tenant and in all, and a document
 * whose caller gave up waiting is never parsed.
 */
export class AsyncApiParseThread {
  private readonly thread: IsolatedThread<Omit<ParseRequest, 'id'>, ParseReply>;

  constructor(settings: Partial<IsolatedThreadLimits> = {}) {
    this.thread = new IsolatedThread({
      entry: require.resolve('./asyncapi-parse-worker'),
      role: ASYNCAPI_PARSE_ROLE,
      ...DEFAULT_THREAD_LIMITS,
      ...settings,
      texts: {
        closed: 'the AsyncAPI parser is closed',
        tenantBusy: (max) => `too many AsyncAPI documents of this tenant wait to be parsed (at most ${max}); try again later`,
        busy: (max) => `too many AsyncAPI documents wait to be parsed (at most ${max}); try again later`,
        expired: (ms) => `parsing the AsyncAPI document took longer than ${ms} ms (it waited for the parser, busy with other documents)`,
        overran: (ms) => `parsing the AsyncAPI document took longer than ${ms} ms`,
        died: (why) => `the AsyncAPI parser stopped: ${why}`,
      },
    });
  }

  /** Threads started so far (a replaced one counts again). */
  get started(): number {
    return this.thread.started;
  }

  /** Documents waiting for the thread (the one being parsed not counted). */
  get queued(): number {
    return this.thread.queued;
  }

  async parse(text: string, url: string, timeoutMs: number, tenant = ''): Promise<AsyncApiModel> {
    const reply = await this.thread.run(tenant, { text, url }, timeoutMs);
    if (!reply.ok) throw errors.configuration(`not a usable AsyncAPI document: ${reply.problem}`);
    return reply.model;
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
