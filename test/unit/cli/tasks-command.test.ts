import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskShown } from '../../../src/application/operations/show-task.use-case';
import { TaskHistoryEntry } from '../../../src/application/ports/task-history.port';
import { UsageError } from '../../../src/cli/cli-errors';
import { formatTask, notFoundLine, parseShowArgs, tasks } from '../../../src/cli/tasks-command';
import { loadConfig } from '../../../src/config/env';

const STREAM = 'tenant:acme:workflow:wf_1:events';
const AT = Date.UTC(2025, 7, 25, 19, 35, 40, 123);

function entry(kind: TaskHistoryEntry['kind'], messageId: string, extra: Partial<TaskHistoryEntry> = {}): TaskHistoryEntry {
  return {
    kind,
    location: STREAM,
    messageId,
    recordedAtMs: AT,
    time: '2025-08-25T19:35:40Z',
    eventId: `task-${kind}-task-1`,
    source: kind === 'requested' ? 'worker-service' : 'executor-service',
    taskId: 'task-1',
    taskName: 'fetch',
    taskType: 'call',
    workflowId: 'wf_1',
    executionId: 'ex_1',
    tenantId: 'acme',
    ...extra,
  };
}

function usage(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (error: unknown) => error instanceof UsageError && message.test(error.message) && error.command === 'tasks show');
}

describe('tasks show: arguments', () => {
  it('takes the task id and the options', () => {
    assert.deepEqual(parseShowArgs(['task-1']), { input: { taskId: 'task-1' }, json: false });
    assert.deepEqual(parseShowArgs(['--workflow', 'wf_1', 'task-1', '--json', '--limit', '500', '--stream', 'a', '--stream', 'b']), {
      input: { taskId: 'task-1', workflowId: 'wf_1', limit: 500, locations: ['a', 'b'] },
      json: true,
    });
    assert.deepEqual(parseShowArgs(['--', '-odd-id']).input, { taskId: '-odd-id' });
  });

  it('refuses what it cannot use, naming the help', () => {
    usage(() => parseShowArgs([]), /^tasks show needs <task-id>$/);
    usage(() => parseShowArgs(['task-1', 'task-2']), /^tasks show takes one task id, not task-1 task-2$/);
    usage(() => parseShowArgs(['task-1', '--limit', '0']), /^--limit "0": expected a whole number of entries, at least 1$/);
    usage(() => parseShowArgs(['task-1', '--limit', '1e3']), /^--limit "1e3"/);
    usage(() => parseShowArgs(['task-1', '--bogus']), /^unknown option '--bogus'/);
  });

  it('refuses a missing or unknown subcommand before connecting to anything', async () => {
    const cfg = loadConfig({ REDIS_URL: 'redis://127.0.0.1:1' });
    const io = { out: () => assert.fail('no output'), err: () => assert.fail('no output') };
    await assert.rejects(tasks([], cfg, io), (e: unknown) => e instanceof UsageError && e.message === 'tasks needs show' && e.command === 'tasks');
    await assert.rejects(tasks(['list'], cfg, io), (e: unknown) => e instanceof UsageError && e.message === 'unknown tasks command list');
    await assert.rejects(tasks(['show'], cfg, io), (e: unknown) => e instanceof UsageError && e.message === 'tasks show needs <task-id>');
  });
});

describe('tasks show: the timeline', () => {
  const shown: TaskShown = {
    taskId: 'task-1',
    status: 'succeeded',
    examined: 42,
    entries: [
      entry('requested', '1-0', { traceId: '4bf92f3577b34da6a3ce929d0e0e4736' }),
      entry('dead_lettered', '2-0', { recordedAtMs: AT + 1000, attempt: 3, reason: 'task_execution_failed:PUBLICATION_FAILED: redis down' }),
      entry('completed', '3-0', { recordedAtMs: AT + 1001, success: false, attempt: 3, errorCode: 'PUBLICATION_FAILED', error: 'could not publish', output: {} }),
      entry('requested', '4-0', { recordedAtMs: AT + 60_000, eventId: 'task-requested-task-1-replay-1', replay: 1, replayOf: `${STREAM}|2-0` }),
      entry('completed', '5-0', { recordedAtMs: AT + 60_037, success: true, attempt: 1, durationMs: 37, output: { pet: 42, token: '***' } }),
    ],
  };

  it('names the task, its status, then each entry with where it is and what it says', () => {
    assert.equal(
      formatTask(shown),
      [
        'task task-1 (fetch, call): workflow wf_1, execution ex_1, tenant acme',
        'status: succeeded',
        '',
        `2025-08-25T19:35:40.123Z  requested  ${STREAM} 1-0`,
        '    event task-requested-task-1 from worker-service at 2025-08-25T19:35:40Z, trace 4bf92f3577b34da6a3ce929d0e0e4736',
        `2025-08-25T19:35:41.123Z  dead-lettered  ${STREAM} 2-0`,
        '    event task-dead_lettered-task-1 from executor-service at 2025-08-25T19:35:40Z',
        '    attempt 3: task_execution_failed:PUBLICATION_FAILED: redis down',
        `2025-08-25T19:35:41.124Z  completed: failed  ${STREAM} 3-0`,
        '    event task-completed-task-1 from executor-service at 2025-08-25T19:35:40Z',
        '    attempt 3',
        '    error PUBLICATION_FAILED: could not publish',
        '    output {}',
        `2025-08-25T19:36:40.123Z  requested (replay 1)  ${STREAM} 4-0`,
        '    event task-requested-task-1-replay-1 from worker-service at 2025-08-25T19:35:40Z',
        `    replay of the dead letter ${STREAM}|2-0`,
        `2025-08-25T19:36:40.160Z  completed: succeeded  ${STREAM} 5-0`,
        '    event task-completed-task-1 from executor-service at 2025-08-25T19:35:40Z',
        '    attempt 1, 37 ms',
        '    output {"pet":42,"token":"***"}',
      ].join('\n'),
    );
  });

  it('clips a long output and says when the search was cut short', () => {
    const long = { ...shown, status: 'dead_lettered' as const, cutShort: 'limit' as const, entries: [entry('completed', '9-0', { success: true, output: { blob: 'x'.repeat(500) } })] };
    const lines = formatTask(long).split('\n');
    assert.equal(lines[1], 'status: dead-lettered');
    const output = lines.find((l) => l.startsWith('    output '));
    assert.equal(output?.length, 4 + 'output '.length + 200);
    assert.ok(output?.endsWith('…'));
    assert.equal(lines[lines.length - 1], 'note: the search stopped at its limit after 42 entries: narrow it with --workflow or --stream, or raise --limit; the history may be incomplete');
  });

  it('one line for a task not found, saying whether the search was complete', () => {
    assert.equal(notFoundLine({ taskId: 'task-9', status: 'not_found', examined: 1234, entries: [] }), 'no task task-9 found (1234 entries searched)');
    assert.equal(notFoundLine({ taskId: 'task-9', status: 'not_found', examined: 1, entries: [] }), 'no task task-9 found (1 entry searched)');
    assert.equal(
      notFoundLine({ taskId: 'task-9', status: 'not_found', examined: 1000000, entries: [], cutShort: 'time' }),
      'no task task-9 found (the search stopped at its time limit after 1000000 entries: narrow it with --workflow or --stream)',
    );
  });
});
