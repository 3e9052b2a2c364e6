import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRetry, parseTryConfiguration as parseWithTypes, startingAttemptCount } from '../../../src/application/handlers/try/try-configuration';
import { TaskRequest } from '../../../src/domain/task-request';
import { WorkflowError } from '../../../src/domain/workflow-error';
import { request, TASK_TYPES, tryRequest } from './fake-context';

const CALL = { call: 'openapi', with: { document: { endpoint: 'https://h/openapi.json' }, operationId: 'getInventory', parameters: {} }, output: { as: { count: '${ .content.available }' } } };

function parseTryConfiguration(req: TaskRequest): ReturnType<typeof parseWithTypes> {
  return parseWithTypes(req, TASK_TYPES);
}

function configError(fn: () => unknown, fragment: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof WorkflowError, 'a WorkflowError');
    assert.equal(error.kind, 'configuration');
    assert.ok(error.detail.includes(fragment), `${error.detail} should contain ${fragment}`);
    return true;
  });
}

describe('parseTryConfiguration: where the configuration is', () => {
  it('reads input.try_catch_config first, then input.try_config, then config.parameters', () => {
    const both = request({
      input: { try_catch_config: { try: { set: { a: 1 } }, catch: {} }, try_config: { try: { set: { b: 2 } }, catch: {} } },
      config: { parameters: { try: { set: { c: 3 } }, catch: {} } },
    });
    assert.equal(parseTryConfiguration(both).source, 'input.try_catch_config');
    assert.deepEqual(parseTryConfiguration(both).tasks[0]?.parameters, { a: 1 });
    const second = request({ input: { try_config: { try: { set: { b: 2 } }, catch: {} } }, config: { parameters: { try: { set: { c: 3 } }, catch: {} } } });
    assert.equal(parseTryConfiguration(second).source, 'input.try_config');
    const third = request({ config: { parameters: { try: { set: { c: 3 } }, catch: {} } } });
    assert.equal(parseTryConfiguration(third).source, 'config.parameters');
    assert.deepEqual(parseTryConfiguration(third).tasks[0]?.parameters, { c: 3 });
  });
  it('fails as Go does when there is none (the worker retry-path request)', () => {
    const retryPath = request({
      config: undefined,
      context: { workflow_input: { a: 1 }, retry_context: { is_retry: true, attempt_count: 1 } },
      input: { retry_context: { is_retry: true, attempt_count: 1, original_task_id: 't' }, workflow_input: { a: 1 }, task_definition: { call: 'http' } },
    });
    configError(() => parseTryConfiguration(retryPath), 'invalid try configuration: try configuration not found in task input');
  });
  it('requires catch', () => {
    configError(() => parseTryConfiguration(tryRequest({ set: { a: 1 } }, undefined)), 'catch block is required');
  });
});

describe('parseTryConfiguration: task shapes', () => {
  it('maps flunq\'s inline call to call parameters (operationId → operation_id) and keeps output.as apart', () => {
    const [task] = parseTryConfiguration(tryRequest(CALL, {})).tasks;
    assert.deepEqual(task, {
      name: 'guarded',
      taskType: 'call',
      parameters: { call_type: 'openapi', document: { endpoint: 'https://h/openapi.json' }, operation_id: 'getInventory', parameters: {} },
      outputAs: { count: '${ .content.available }' },
    });
  });
  it('reads the SDL task list in order, with set and wait', () => {
    const tasks = parseTryConfiguration(
      tryRequest([{ first: { set: { a: 1 } } }, { pause: { wait: 'PT1S' } }, { fetch: { call: 'http', with: { method: 'get', endpoint: 'https://h/x' } } }], {}),
    ).tasks;
    assert.deepEqual(
      tasks.map((t) => [t.name, t.taskType, t.parameters]),
      [
        ['first', 'set', { a: 1 }],
        ['pause', 'wait', { duration: 'PT1S' }],
        ['fetch', 'call', { call_type: 'http', method: 'get', endpoint: 'https://h/x' }],
      ],
    );
  });
  it('reads catch.do as a flunq map of task requests and as an SDL list, in document order', () => {
    const map = parseTryConfiguration(
      tryRequest({ set: {} }, { do: { zeta: { task_type: 'set', config: { parameters: { z: 1 } } }, alpha: { set: { a: 1 } } } }),
    ).catch.do;
    assert.deepEqual(map.map((t) => [t.name, t.taskType, t.parameters]), [['zeta', 'set', { z: 1 }], ['alpha', 'set', { a: 1 }]]);
    const list = parseTryConfiguration(tryRequest({ set: {} }, { do: [{ b: { set: { b: 1 } } }, { a: { inject: { a: 1 } } }] })).catch.do;
    assert.deepEqual(list.map((t) => t.name), ['b', 'a']);
    assert.equal(list[1]?.taskType, 'inject');
  });
  it('rejects malformed task lists with the path of the problem', () => {
    configError(() => parseTryConfiguration(tryRequest([{ a: { set: {} }, b: { set: {} } }], {})), 'try[0] must have exactly one key');
    configError(() => parseTryConfiguration(tryRequest({ x: { nothing: 1 } }, {})), 'try.x names no task type');
    configError(() => parseTryConfiguration(tryRequest({ call: 42 }, {})), 'call must name the call type');
    configError(() => parseTryConfiguration(tryRequest([], {})), 'the try block has no task');
  });
});

describe('parseTryConfiguration: the task types it accepts are the ones it is given (the handler registry\'s)', () => {
  it('rejects a task_type outside the list, naming the list', () => {
    configError(
      () => parseWithTypes(tryRequest({ step: { task_type: 'teleport', config: { parameters: {} } } }, {}), ['set', 'wait']),
      'try.step: unsupported task type: teleport (supported: set, wait)',
    );
    configError(
      () => parseWithTypes(tryRequest({ set: {} }, { do: { notify: { task_type: 'call', config: { parameters: {} } } } }), ['set', 'wait']),
      'invalid catch configuration: catch.do.notify: unsupported task type: call (supported: set, wait)',
    );
  });
  it('recognises an SDL task only by a key from the list, and names the list when there is none', () => {
    configError(() => parseWithTypes(tryRequest([{ fetch: { call: 'http', with: { url: 'https://h/x' } } }], {}), ['set', 'wait']), 'try[0].fetch names no task type this executor runs (expected one of set, wait, or task_type)');
    configError(() => parseTryConfiguration(tryRequest([{ fail: { raise: { error: 'x' } } }], {})), `expected one of ${TASK_TYPES.join(', ')}, or task_type`);
    assert.equal(parseWithTypes(tryRequest([{ fetch: { call: 'http', with: { url: 'https://h/x' } } }], {}), ['call']).tasks[0]?.taskType, 'call');
  });
});

describe('parseTryConfiguration: catch', () => {
  it('defaults as to "error" and never uses an empty key', () => {
    assert.equal(parseTryConfiguration(tryRequest({ set: {} }, {})).catch.as, 'error');
    assert.equal(parseTryConfiguration(tryRequest({ set: {} }, { as: '' })).catch.as, 'error');
    assert.equal(parseTryConfiguration(tryRequest({ set: {} }, { as: 'failure' })).catch.as, 'failure');
  });
  it('keeps errors.with, when and exceptWhen', () => {
    const c = parseTryConfiguration(tryRequest({ set: {} }, { errors: { with: { status: 503 } }, when: '${ .error.status >= 500 }', exceptWhen: '${ false }' })).catch;
    assert.deepEqual(c.filter, { status: 503 });
    assert.equal(c.when, '${ .error.status >= 500 }');
    assert.equal(c.exceptWhen, '${ false }');
  });
  it('resolves a retry policy given by name from the definitions carried in the task', () => {
    const policies = { standard: { delay: 'PT2S', limit: { attempt: { count: 4 } } } };
    const viaInput = parseTryConfiguration(tryRequest({ set: {} }, { retry: 'standard' }, { retry_policies: policies })).catch.retry;
    assert.equal(viaInput?.name, 'standard');
    assert.equal(viaInput?.policy.delayMs, 2000);
    assert.equal(viaInput?.policy.maxAttempts, 4);
    const viaUse = parseTryConfiguration(request({ input: { try_config: { try: { set: {} }, catch: { retry: 'standard' }, use: { retries: policies } } } })).catch.retry;
    assert.equal(viaUse?.policy.maxAttempts, 4);
    configError(() => parseTryConfiguration(tryRequest({ set: {} }, { retry: 'missing' })), "retry policy 'missing' is not defined");
  });
});

describe('parseRetry', () => {
  it('reads the flunq example (object durations, constant backoff, limits, jitter)', () => {
    const { policy } = parseRetry({
      delay: { seconds: 1 },
      backoff: { constant: {} },
      limit: { attempt: { count: 3, duration: { minutes: 1 } }, duration: { minutes: 5 } },
      jitter: { from: { milliseconds: 100 }, to: { milliseconds: 500 } },
    });
    assert.deepEqual(policy, {
      delayMs: 1000,
      backoff: { kind: 'constant' },
      retryOn: 'any',
      maxAttempts: 3,
      maxAttemptDurationMs: 60_000,
      maxElapsedMs: 300_000,
      jitter: { fromMs: 100, toMs: 500 },
    });
  });
  it('accepts ISO 8601 durations everywhere (Go failed with "invalid catch configuration")', () => {
    const { policy } = parseRetry({ delay: 'PT0.5S', backoff: { exponential: { multiplier: 3, maxDelay: 'PT4S' } }, limit: { attempt: { count: 5 }, duration: 'PT1M' } });
    assert.equal(policy.delayMs, 500);
    assert.deepEqual(policy.backoff, { kind: 'exponential', multiplier: 3 });
    assert.equal(policy.maxDelayMs, 4000);
    assert.equal(policy.maxElapsedMs, 60_000);
  });
  it('defaults: exponential multiplier 2, linear increment = delay, no hard cap on the count', () => {
    assert.deepEqual(parseRetry({ delay: 'PT1S', backoff: { exponential: {} }, limit: { attempt: { count: 9 } } }).policy.backoff, { kind: 'exponential', multiplier: 2 });
    assert.deepEqual(parseRetry({ delay: 'PT1S', backoff: { linear: {} }, limit: { attempt: { count: 9 } } }).policy.backoff, { kind: 'linear', incrementMs: 1000 });
    assert.deepEqual(parseRetry({ delay: 'PT1S', backoff: { linear: { increment: { milliseconds: 250 } } } }).policy.backoff, { kind: 'linear', incrementMs: 250 });
    assert.equal(parseRetry({ delay: 'PT1S', limit: { attempt: { count: 12 } } }).policy.maxAttempts, 12);
  });
  it('rejects what cannot work, naming the field', () => {
    configError(() => parseRetry({ delay: 'soon', limit: { attempt: { count: 2 } } }), 'retry.delay: invalid duration');
    configError(() => parseRetry({ delay: 'PT1S', backoff: { constant: {}, linear: {} } }), 'exactly one of constant, linear, exponential');
    configError(() => parseRetry({ delay: 'PT1S', backoff: { fibonacci: {} } }), "unknown backoff 'fibonacci'");
    configError(() => parseRetry({ delay: 'PT1S', limit: { attempt: { count: 0 } } }), 'limit.attempt.count must be a positive integer');
    configError(() => parseRetry({ delay: 'PT1S', jitter: { from: 'PT2S', to: 'PT1S' } }), 'jitter.to');
    configError(() => parseRetry({}), 'retries without delay need limit.attempt.count');
    configError(() => parseRetry({ delay: 'PT1S', when: 42 }), 'retry.when must be a runtime expression');
  });
});

describe('startingAttemptCount', () => {
  it('reads retry_context.attempt_count as a JSON number (Go never could) from the input, else the context', () => {
    assert.equal(startingAttemptCount(request({ input: { retry_context: { attempt_count: 2 } } })), 2);
    assert.equal(startingAttemptCount(request({ context: { retry_context: { attempt_count: 3 } } })), 3);
    assert.equal(startingAttemptCount(request({ input: { retry_context: { attempt_count: '4' } } })), 4);
    assert.equal(startingAttemptCount(request({ input: { retry_context: { attempt_count: -1 } } })), 0);
    assert.equal(startingAttemptCount(request()), 0);
  });
});
