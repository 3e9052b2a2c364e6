/**
 * What every TaskHistory adapter must do: find a task's requests, outcomes and dead letters on its
 * workflow's place in the backend, in stored order, matching the task id exactly, within bounds.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { replayEntry } from '../../src/adapters/flunq-wire/dead-letters';
import { TaskHistory } from '../../src/application/ports/task-history.port';
import { deadLetterEntry, requestFields } from '../support/flunq';

export interface Workflow {
  tenant: string;
  workflow: string;
}

/** Where an appended entry landed, in the backend's own terms. */
export interface Appended {
  location: string;
  messageId: string;
}

export interface HistoryHarness {
  readonly history: TaskHistory;
  /** A workflow no other test uses. */
  newWorkflow(): Workflow;
  /** Appends an entry of flunq's flat fields to the workflow's events, as the worker or an executor would. */
  append(workflow: Workflow, fields: Record<string, string>): Promise<Appended>;
  close(): Promise<void>;
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

let n = 0;
function newTaskId(name = 'fetch'): string {
  return `task-${name}-${process.pid}${Date.now()}${++n}`;
}

function completionFields(request: Record<string, string>, outcome: { success: boolean; code?: string; error?: string; output?: unknown; attempt?: number }, extra: Record<string, string> = {}): Record<string, string> {
  const taskId = request['taskid'] ?? '';
  const data: Record<string, unknown> = { task_id: taskId, task_name: 'fetch', tenant_id: request['tenantid'], success: outcome.success, output: outcome.output ?? {}, error: outcome.error ?? '', duration_ms: 12, attempt: outcome.attempt ?? 1 };
  if (!outcome.success) data['error_details'] = { type: 'https://serverlessworkflow.io/spec/1.0.0/errors/runtime', status: 500, title: 'Failed', detail: outcome.error, data: { code: outcome.code } };
  const { data: _data, ...fields } = request;
  return { ...fields, id: `task-completed-${taskId}`, source: 'executor-service', type: 'io.flunq.task.completed', time: '2025-08-25T19:35:41Z', ...extra, data: JSON.stringify(data) };
}

export function describeTaskHistoryContract(name: string, makeHarness: () => Promise<HistoryHarness>): void {
  describe(`TaskHistory contract: ${name}`, () => {
    let h: HistoryHarness;
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(() => h.close());

    it('finds a task requested then completed, in stored order, with where each is and the trace id', async () => {
      const w = h.newWorkflow();
      const taskId = newTaskId();
      const request = requestFields({ tenant: w.tenant, workflow: w.workflow, taskId, taskName: 'fetch', taskType: 'call' });
      const at1 = await h.append(w, request);
      const at2 = await h.append(w, completionFields(request, { success: true, output: { pet: 42, token: '***' } }, { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` }));
      const found = await h.history.find(taskId);
      assert.equal(found.cutShort, undefined);
      assert.deepEqual(
        found.entries.map((e) => [e.kind, e.location, e.messageId]),
        [
          ['requested', at1.location, at1.messageId],
          ['completed', at2.location, at2.messageId],
        ],
      );
      const [req, done] = found.entries;
      assert.deepEqual([req?.taskName, req?.taskType, req?.workflowId, req?.tenantId, req?.eventId, req?.traceId], ['fetch', 'call', w.workflow, w.tenant, `task-requested-${taskId}`, undefined]);
      assert.deepEqual([done?.success, done?.output, done?.attempt, done?.durationMs, done?.traceId, done?.errorCode], [true, { pet: 42, token: '***' }, 1, 12, TRACE_ID, undefined]);
      assert.ok((req?.recordedAtMs ?? 0) > 0 && (req?.recordedAtMs ?? 0) <= (done?.recordedAtMs ?? 0));
    });

    it('finds a task dead-lettered, replayed and then completed: five entries with the reason, the failure and the replay', async () => {
      const w = h.newWorkflow();
      const taskId = newTaskId('lost');
      const request = requestFields({ tenant: w.tenant, workflow: w.workflow, taskId });
      await h.append(w, request);
      const deadLetter = deadLetterEntry(request, 'PUBLICATION_FAILED: redis down', 3);
      const dlq = await h.append(w, deadLetter);
      await h.append(w, completionFields(request, { success: false, code: 'PUBLICATION_FAILED', error: 'could not publish', attempt: 3 }));
      const replay = await h.append(w, replayEntry(dlq.location, dlq.messageId, deadLetter, 1, Date.now()));
      await h.append(w, completionFields(request, { success: true, output: { done: true } }, { id: `task-completed-${taskId}` }));
      const { entries } = await h.history.find(taskId);
      assert.deepEqual(
        entries.map((e) => e.kind),
        ['requested', 'dead_lettered', 'completed', 'requested', 'completed'],
      );
      assert.deepEqual([entries[1]?.reason, entries[1]?.attempt, entries[1]?.messageId], ['task_execution_failed:PUBLICATION_FAILED: redis down', 3, dlq.messageId]);
      assert.deepEqual([entries[2]?.success, entries[2]?.errorCode, entries[2]?.error, entries[2]?.attempt], [false, 'PUBLICATION_FAILED', 'could not publish', 3]);
      assert.deepEqual([entries[3]?.replay, entries[3]?.replayOf, entries[3]?.eventId, entries[3]?.messageId], [1, `${dlq.location}|${dlq.messageId}`, `task-requested-${taskId}-replay-1`, replay.messageId]);
      assert.deepEqual([entries[4]?.success, entries[4]?.output], [true, { done: true }]);
    });

    it('finds nothing for an unknown id, and says the search was complete', async () => {
      const w = h.newWorkflow();
      await h.append(w, requestFields({ tenant: w.tenant, workflow: w.workflow, taskId: newTaskId() }));
      const found = await h.history.find('task-nobody-1');
      assert.deepEqual(found.entries, []);
      assert.equal(found.cutShort, undefined);
      assert.ok(found.examined >= 1, `examined ${found.examined}`);
    });

    it('never confuses task ids that share a prefix (task-1 and task-10)', async () => {
      const w = h.newWorkflow();
      const base = newTaskId('pfx');
      const one = requestFields({ tenant: w.tenant, workflow: w.workflow, taskId: `${base}-1` });
      const ten = requestFields({ tenant: w.tenant, workflow: w.workflow, taskId: `${base}-10` });
      await h.append(w, one);
      await h.append(w, ten);
      await h.append(w, completionFields(ten, { success: true }));
      await h.append(w, completionFields(one, { success: false, code: 'HTTP_5XX', error: 'HTTP request failed with status 503' }));
      const first = await h.history.find(`${base}-1`);
      assert.deepEqual(first.entries.map((e) => [e.kind, e.taskId, e.success]), [['requested', `${base}-1`, undefined], ['completed', `${base}-1`, false]]);
      const tenth = await h.history.find(`${base}-10`);
      assert.deepEqual(tenth.entries.map((e) => [e.kind, e.success]), [['requested', undefined], ['completed', true]]);
      assert.deepEqual((await h.history.find(base)).entries, [], 'a prefix alone finds nothing');
    });

    it('narrows the search to a workflow or to places, and stops at its limit saying so', async () => {
      const w = h.newWorkflow();
      const other = h.newWorkflow();
      const taskId = newTaskId('narrow');
      const request = requestFields({ tenant: w.tenant, workflow: w.workflow, taskId });
      const at = await h.append(w, request);
      await h.append(other, requestFields({ tenant: other.tenant, workflow: other.workflow, taskId: newTaskId() }));
      await h.append(w, completionFields(request, { success: true }));
      assert.equal((await h.history.find(taskId, { workflowId: w.workflow })).entries.length, 2);
      assert.deepEqual((await h.history.find(taskId, { workflowId: other.workflow })).entries, []);
      const only = await h.history.find(taskId, { workflowId: other.workflow });
      assert.equal(only.examined, 1, 'only the other workflow was read');
      assert.equal((await h.history.find(taskId, { locations: [at.location] })).entries.length, 2);
      const cut = await h.history.find(taskId, { locations: [at.location], limit: 1 });
      assert.deepEqual([cut.entries.map((e) => e.kind), cut.examined, cut.cutShort], [['requested'], 1, 'limit']);
    });
  });
}
