import { DEFAULT_THREAD_LIMITS, IsolatedThread, IsolatedThreadLimits } from '../worker-thread/isolated-thread';
import { ProtoParseReply, ProtoParseRequest, PROTO_PARSE_ROLE } from './proto-parse-protocol';

/**
 * Compiles `.proto` documents with protobufjs one at a time in a worker thread (an IsolatedThread),
 * each round within its time limit counted from the request: a compile that runs longer (or a
 * worker that dies) fails and the thread is replaced, so a hostile document costs its own task its
 * deadline and never stalls the event loop. Tenants wait in turns, the queue is bounded per tenant
 * and in all.
 */
export class ProtoParseThread {
  private readonly thread: IsolatedThread<Omit<ProtoParseRequest, 'id'>, ProtoParseReply>;

  constructor(settings: Partial<IsolatedThreadLimits> = {}) {
    this.thread = new IsolatedThread({
      entry: require.resolve('./proto-parse-worker'),
      role: PROTO_PARSE_ROLE,
      ...DEFAULT_THREAD_LIMITS,
      ...settings,
      texts: {
        closed: 'grpc call: the proto parser is closed',
        tenantBusy: (max) => `grpc call: too many proto documents of this tenant wait to be compiled (at most ${max}); try again later`,
        busy: (max) => `grpc call: too many proto documents wait to be compiled (at most ${max}); try again later`,
        expired: (ms) => `grpc call: compiling the proto document took longer than ${ms} ms (it waited for the parser, busy with other documents)`,
        overran: (ms) => `grpc call: compiling the proto document took longer than ${ms} ms`,
        died: (why) => `grpc call: the proto parser stopped: ${why}`,
      },
    });
  }

  /** Threads started so far (a replaced one counts again). */
  get started(): number {
    return this.thread.started;
  }

  /**
   * One round of `entry`'s compile with the files fetched so far, answering for `service`/`method`,
   * in `tenant`'s turn, within `timeoutMs`.
   */
  compile(tenant: string, entry: string, files: Record<string, string | null>, call: { service: string; method: string }, timeoutMs: number): Promise<ProtoParseReply> {
    return this.thread.run(tenant, { entry, files, ...call }, timeoutMs);
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
