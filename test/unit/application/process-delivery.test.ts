import { StreamInboundTask } from '../../../src/adapters/flunq-wire/entry-stream-inbox';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskHandlerRegistry } from '../../../src/application/handlers/task-handler-registry';
import { TaskHandler } from '../../../src/application/ports/task-handler.port';
import { DeadLetterTask } from '../../../src/application/use-cases/dead-letter-task.use-case';
import { ExecuteTask } from '../../../src/application/use-cases/execute-task.use-case';
import { ProcessDelivery, ProcessDeliverySettings } from '../../../src/application/use-cases/process-delivery.use-case';
import { FakeClock } from '../../support/fake-clock';
import { InMemoryLogger } from '../../support/in-memory-logger';
import { InMemoryMetrics } from '../../support/in-memory-metrics';
import { InMemoryStreamBroker } from '../../../src/adapters/memory/in-memory-stream-broker';
import { InMemoryTaskSource } from '../../../src/adapters/memory/in-memory-task-source';
import { SeededRandom } from '../../support/seeded-random';
import { CompletedPayload } from '../../../src/domain/flunq-events';
import { RetryPolicy } from '../../../src/domain/retry-policy';
import { failed, succeeded, TaskOutcome } from '../../../src/domain/task-result';
import { WorkflowError } from '../../../src/domain/workflow-error';
import { NoopTracer } from '../../../src/adapters/otel/noop-tracer';
import { TaskSpan, TraceContext, Tracer } from '../../../src/application/ports/tracer.port';

const STREAM = 'tenant:acme:workflow:wf_1:events';
const DLQ = 'io.flunq.task.dlq';
const COMPLETED = 'io.flunq.task.completed';

/** A handler that counts its runs (each one may have had a side effect) and answers what it is told. */
class CountingHandler implements TaskHandler {
  calls = 0;
  constructor(
    readonly taskType: string,
    private readonly answer: () => Promise<TaskOutcome>,
  ) {}
  execute(): Promise<TaskOutcome> {
    this.calls++;
    return this.answer();
  }
}

function makeSut(handler: TaskHandler = new CountingHandler('buggy', () => Promise.reject(new TypeError('cannot read properties of undefined'))), settings: Partial<ProcessDeliverySettings> = {}, tracer: Tracer = new NoopTracer()) {
  const clock = new FakeClock();
  const broker = new InMemoryStreamBroker(clock);
  const source = new InMemoryTaskSource(broker, clock, { group: 'g', consumer: 'c', streams: [STREAM], reclaimIdleMs: 0, blockMs: 1000 });
  const evaluator = { evaluate: () => Promise.resolve([]), close: () => Promise.resolve() };
  const execute = new ExecuteTask(new TaskHandlerRegistry([handler]), clock, evaluator, { defaultTimeoutMs: 60_000 });
  const retry = new RetryPolicy({ delayMs: 200, backoff: { kind: 'exponential', multiplier: 2 }, maxAttempts: 3, retryOn: 'any' });
  const logger = new InMemoryLogger();
  const sut = new ProcessDelivery(execute, new DeadLetterTask(clock), clock, new SeededRandom(), new InMemoryMetrics(), logger, tracer, {
    retry,
    maxDeliveries: 5,
    maxMessageBytes: 4 * 1024 * 1024,
    maxJsonDepth: 256,
    ...settings,
  });
  /** Appends a request, receives it (acknowledging the outcomes written before it) and processes that one delivery. */
  const deliverOnce = async (fields: Record<string, string>): Promise<string> => {
    const id = broker.append(STREAM, fields);
    let delivery;
    while (!delivery) {
      const [next] = await source.receive(1, new AbortController().signal);
      assert.ok(next);
      if (next.entryId === id) delivery = next;
      else await source.acknowledge(next);
    }
    const processing = sut.execute(new StreamInboundTask(source, delivery), new AbortController().signal);
    await clock.advance(10_000);
    return processing;
  };
  const ofType = (type: string) => broker.entries(STREAM).filter((e) => e.fields['type'] === type);
  const completion = (): CompletedPayload => {
    const all = ofType(COMPLETED);
    assert.equal(all.length, 1, 'exactly one completion');
    return JSON.parse(all[0]?.fields['data'] ?? '{}') as CompletedPayload;
  };
  return { sut, broker, source, clock, logger, deliverOnce, ofType, completion };
}

function request(data: Record<string, unknown> | string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    id: 'task-requested-task-x-1',
    type: 'io.flunq.task.requested',
    taskid: 'task-x-1',
    workflowid: 'wf_1',
    executionid: 'ex_1',
    tenantid: 'acme',
    data: typeof data === 'string' ? data : JSON.stringify({ task_id: 'task-x-1', task_name: 'x', ...data }),
    ...extra,
  };
}

/** `{a: {a: … {}}}` nested `levels` deep, built without recursion. */
function deeplyNested(levels: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let node = root;
  for (let i = 1; i < levels; i++) {
    const next: Record<string, unknown> = {};
    node['a'] = next;
    node = next;
  }
  return root;
}

describe('ProcessDelivery', () => {
  it('never runs a handler twice when it throws: one dead letter and one failed completion', async () => {
    const handler = new CountingHandler('buggy', () => Promise.reject(new TypeError('cannot read properties of undefined')));
    const { broker, deliverOnce, completion } = makeSut(handler);
    assert.equal(await deliverOnce(request({ task_type: 'buggy' })), 'dead_lettered');
    assert.equal(handler.calls, 1, 'the handler may have had side effects: it must not run again');
    const types = broker.entries(STREAM).map((e) => e.fields['type']);
    assert.deepEqual(types, ['io.flunq.task.requested', DLQ, COMPLETED]);
    const c = completion();
    assert.equal(c.success, false);
    assert.match(c.error, /internal error while executing the task: cannot read properties of undefined/);
    assert.equal(broker.pending(STREAM, 'g').size, 0);
  });
});

describe('ProcessDelivery: delivery limit', () => {
  it('dead-letters an entry delivered more than maxDeliveries times without running it', async () => {
    const handler = new CountingHandler('set', () => Promise.resolve(succeeded({})));
    const { sut, broker, source, clock, ofType, completion } = makeSut(handler, { maxDeliveries: 5 });
    broker.append(STREAM, request({ task_type: 'set' }));
    const [delivery] = await source.receive(1, new AbortController().signal);
    assert.ok(delivery);
    const processing = sut.execute(new StreamInboundTask(source, { ...delivery, deliveryCount: 6 }), new AbortController().signal);
    await clock.advance(1000);
    assert.equal(await processing, 'dead_lettered');
    assert.equal(handler.calls, 0);
    assert.equal(ofType(DLQ)[0]?.fields['reason'], 'task_execution_failed:RETRIES_EXHAUSTED: event was delivered 6 times without reaching an outcome (limit 5)');
    assert.equal(ofType(DLQ)[0]?.fields['attempt'], '6');
    assert.equal(completion().attempt, 6);
    assert.equal(broker.pending(STREAM, 'g').size, 0);
  });
});

describe('ProcessDelivery: entry size limit', () => {
  it('dead-letters an entry larger than the limit without parsing it, with the size and the limit in the reason', async () => {
    const handler = new CountingHandler('set', () => Promise.resolve(succeeded({})));
    const { broker, deliverOnce, ofType, completion } = makeSut(handler, { maxMessageBytes: 2048 });
    // Not even valid JSON: an oversize entry is refused before anything parses its data.
    const fields = request(`{"task_type": "set", "blob": "${'x'.repeat(3000)}`);
    const expectedSize = Object.entries(fields).reduce((n, [k, v]) => n + k.length + v.length, 0);
    assert.equal(await deliverOnce(fields), 'dead_lettered');
    assert.equal(handler.calls, 0);
    const [dlq] = ofType(DLQ);
    assert.ok(dlq);
    assert.equal(dlq.fields['reason'], `task_execution_failed:ENTRY_TOO_LARGE: request message is ${expectedSize} bytes, more than the limit of 2048 bytes`);
    const { reason: _reason, attempt: _attempt, type, data_omitted_bytes: omitted, data_kept_in: keptIn, ...kept } = dlq.fields;
    assert.equal(type, DLQ);
    const { type: _requested, data, ...original } = fields;
    assert.deepEqual(kept, original, 'the dead letter keeps every original field but the data, which is too large to store twice');
    assert.equal(omitted, String(data?.length));
    assert.equal(broker.entries(STREAM).find((e) => e.id === keptIn)?.fields['data'], data, 'it names the request entry that keeps the data');
    const c = completion();
    assert.equal(c.success, false);
    assert.equal(c.task_id, 'task-x-1');
    assert.equal(c.task_name, 'x', 'named from the task id pattern');
    assert.match(c.error, /request message is \d+ bytes, more than the limit of 2048 bytes/);
    assert.equal((c.error_details as { data: { code: string } }).data.code, 'ENTRY_TOO_LARGE');
    assert.equal((c.error_details as { type: string }).type, 'https://serverlessworkflow.io/spec/1.0.0/errors/validation');
    assert.equal(broker.pending(STREAM, 'g').size, 0);
  });

  it('counts bytes, not characters, and counts field names too', async () => {
    const handler = new CountingHandler('set', () => Promise.resolve(succeeded({ ok: true })));
    const small = makeSut(handler, { maxMessageBytes: 2048 });
    // 700 characters of € are 2100 bytes: over 2048 bytes although the entry has fewer than 2048 characters.
    const euro = request({ task_type: 'set', note: '€'.repeat(700) });
    assert.ok(Object.entries(euro).reduce((n, [k, v]) => n + k.length + v.length, 0) < 2048);
    assert.equal(await small.deliverOnce(euro), 'dead_lettered');
    assert.match(small.ofType(DLQ)[0]?.fields['reason'] ?? '', /ENTRY_TOO_LARGE/);
    const names = makeSut(handler, { maxMessageBytes: 2048 });
    assert.equal(await names.deliverOnce(request({ task_type: 'set' }, { ['n'.repeat(2100)]: '' })), 'dead_lettered');
    const fits = makeSut(handler, { maxMessageBytes: 2048 });
    assert.equal(await fits.deliverOnce(request({ task_type: 'set', note: 'x'.repeat(1500) })), 'completed');
    assert.equal(handler.calls, 1);
  });

  it('reports no completion when the flat fields do not identify the task, and keeps reading', async () => {
    const handler = new CountingHandler('set', () => Promise.resolve(succeeded({})));
    const { broker, deliverOnce, ofType } = makeSut(handler, { maxMessageBytes: 1024 });
    const { workflowid: _w, executionid: _e, ...anonymous } = request({ task_type: 'set', blob: 'y'.repeat(2000) });
    assert.equal(await deliverOnce(anonymous), 'dead_lettered');
    assert.equal(ofType(DLQ).length, 1);
    assert.equal(ofType(COMPLETED).length, 0);
    assert.equal(await deliverOnce(request({ task_type: 'set', task_id: 'task-y-2' }, { taskid: 'task-y-2', id: 'next' })), 'completed');
    assert.equal(broker.pending(STREAM, 'g').size, 0);
  });
});

describe('ProcessDelivery: nesting-depth limit', () => {
  it('dead-letters data nested deeper than the limit as MALFORMED_EVENT naming the limit, with a failed completion', async () => {
    const handler = new CountingHandler('set', () => Promise.resolve(succeeded({})));
    const { deliverOnce, ofType, completion } = makeSut(handler, { maxJsonDepth: 32 });
    assert.equal(await deliverOnce(request({ task_type: 'set', input: deeplyNested(40) })), 'dead_lettered');
    assert.equal(handler.calls, 0);
    assert.match(ofType(DLQ)[0]?.fields['reason'] ?? '', /MALFORMED_EVENT: event data nests deeper than the nesting-depth limit of 32 levels/);
    const c = completion();
    assert.equal(c.success, false);
    assert.equal((c.error_details as { data: { code: string } }).data.code, 'MALFORMED_EVENT');
  });

  it('runs data nested up to the limit', async () => {
    const handler = new CountingHandler('set', () => Promise.resolve(succeeded({})));
    const { deliverOnce } = makeSut(handler, { maxJsonDepth: 32 });
    // data → input → 30 levels: 32 in all.
    assert.equal(await deliverOnce(request({ task_type: 'set', input: deeplyNested(30) })), 'completed');
    assert.equal(handler.calls, 1);
  });
});

describe('ProcessDelivery: an outcome that cannot be built', () => {
  const cycle: Record<string, unknown> = { name: 'loop' };
  cycle['self'] = cycle;
  const cases: { name: string; outcome: () => TaskOutcome; cause: RegExp }[] = [
    { name: 'a BigInt in the output', outcome: () => succeeded({ count: 10n }), cause: /TypeError: Do not know how to serialize a BigInt/ },
    { name: 'a cycle in the output', outcome: () => succeeded(cycle), cause: /TypeError: Converting circular structure to JSON|RangeError: Maximum call stack size exceeded/ },
    { name: '100,000 levels of output', outcome: () => succeeded(deeplyNested(100_000)), cause: /RangeError: Maximum call stack size exceeded/ },
    { name: '100,000 levels of resolved input', outcome: () => succeeded({}, deeplyNested(100_000)), cause: /RangeError: Maximum call stack size exceeded/ },
  ];
  for (const { name, outcome, cause } of cases) {
    it(`dead-letters ${name} on the first delivery with the real cause, and reports a minimal failed completion`, async () => {
      const handler = new CountingHandler('hostile', () => Promise.resolve(outcome()));
      const { broker, logger, deliverOnce, ofType, completion } = makeSut(handler);
      assert.equal(await deliverOnce(request({ task_type: 'hostile', input: { secret_note: 'n' } })), 'dead_lettered');
      assert.equal(handler.calls, 1);
      const reason = ofType(DLQ)[0]?.fields['reason'] ?? '';
      assert.match(reason, /^task_execution_failed:OUTCOME_FAILED: the task ran but its outcome could not be built: /);
      assert.match(reason, cause);
      assert.equal(ofType(DLQ)[0]?.fields['attempt'], '1');
      const c = completion();
      assert.equal(c.success, false);
      assert.match(c.error, cause);
      assert.deepEqual(c.output, {});
      assert.deepEqual(c.data.input, {}, 'input omitted');
      assert.equal((c.error_details as { data: { code: string } }).data.code, 'OUTCOME_FAILED');
      assert.equal(broker.pending(STREAM, 'g').size, 0, 'acknowledged at once');
      assert.ok(!logger.records.some((r) => r.message.includes('left pending')));
    });
  }
});

/** A tracer that records what the use case asks of it and hands out a fixed span context. */
class RecordingTracer implements Tracer {
  readonly parents: (TraceContext | undefined)[] = [];
  readonly failures: string[] = [];
  ended = 0;
  startTask(parent: TraceContext | undefined): TaskSpan {
    this.parents.push(parent);
    return {
      context: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01' },
      run: (work) => work(),
      fail: (code) => void this.failures.push(code),
      end: () => void this.ended++,
    };
  }
}

describe('ProcessDelivery: tracing', () => {
  const worker = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'vendor=1' };

  it('starts the task span from the request\'s trace context and puts its own context on the completion', async () => {
    const tracer = new RecordingTracer();
    const { deliverOnce, ofType } = makeSut(new CountingHandler('set', () => Promise.resolve(succeeded({}))), {}, tracer);
    assert.equal(await deliverOnce(request({ task_type: 'set' }, worker)), 'completed');
    assert.deepEqual(tracer.parents, [worker]);
    assert.equal(ofType(COMPLETED)[0]?.fields['traceparent'], '00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01');
    assert.equal(ofType(COMPLETED)[0]?.fields['tracestate'], undefined, 'the span\'s context replaces the request\'s');
    assert.equal(tracer.ended, 1);
    assert.deepEqual(tracer.failures, []);
  });

  it('marks the span failed and puts its context on the dead letter and the failed completion', async () => {
    const tracer = new RecordingTracer();
    const { deliverOnce, ofType } = makeSut(undefined, {}, tracer);
    assert.equal(await deliverOnce(request({ task_type: 'buggy' }, worker)), 'dead_lettered');
    assert.deepEqual(tracer.failures, ['INTERNAL']);
    for (const type of [DLQ, COMPLETED]) assert.equal(ofType(type)[0]?.fields['traceparent'], '00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01', type);
    assert.equal(tracer.ended, 1);
  });
});

describe('ProcessDelivery: the log line of a failed task', () => {
  it('is a warning with the error code and the detail, blanked of the request\'s secrets and URL credentials', async () => {
    const SECRET = 'sk-live-0123456789abcdef';
    const error = new WorkflowError({ kind: 'communication', code: 'HTTP_5XX', detail: `https://bot:hunter22@api.example.test/v1?api_key=${SECRET} answered 503 for key ${SECRET}` });
    const handler = new CountingHandler('flaky', () => Promise.resolve(failed(error)));
    const { logger, deliverOnce } = makeSut(handler);
    assert.equal(await deliverOnce(request({ task_type: 'flaky', input: { api_key: SECRET } })), 'failed');
    const line = logger.records.find((r) => r.message === 'task completed');
    assert.ok(line, 'the outcome was logged');
    assert.equal(line.level, 'warn');
    assert.equal(line.fields['outcome'], 'failure');
    assert.equal(line.fields['errorCode'], 'HTTP_5XX');
    const detail = String(line.fields['detail']);
    assert.match(detail, /answered 503/);
    assert.doesNotMatch(detail, new RegExp(`${SECRET}|hunter22`));
  });

  it('a success stays an info line without error fields', async () => {
    const handler = new CountingHandler('fine', () => Promise.resolve(succeeded({ ok: true })));
    const { logger, deliverOnce } = makeSut(handler);
    assert.equal(await deliverOnce(request({ task_type: 'fine' })), 'completed');
    const line = logger.records.find((r) => r.message === 'task completed');
    assert.equal(line?.level, 'info');
    assert.equal(line?.fields['errorCode'], undefined);
  });
});
