import { ShowTaskInput, TaskShown } from '../application/operations/show-task.use-case';
import { TaskHistoryEntry, TaskHistoryUnavailable } from '../application/ports/task-history.port';
import { createTaskOperations } from '../config/container';
import { AppConfig } from '../config/env';
import { InputError, Output, UsageError } from './cli-errors';
import { parse } from './dlq-command';

/** Longest output or reason shown in the timeline (the whole value is in --json). */
const TEXT_LIMIT = 200;

/** `tasks show` arguments: the task id and the query, or a usage error (checked before connecting). */
export function parseShowArgs(args: readonly string[]): { input: ShowTaskInput; json: boolean } {
  const name = 'tasks show';
  const { values, positionals } = parse(name, {
    args: [...args],
    allowPositionals: true,
    options: { workflow: { type: 'string' }, stream: { type: 'string', multiple: true }, limit: { type: 'string' }, json: { type: 'boolean' } },
  });
  const [taskId, ...extra] = positionals;
  if (!taskId) throw new UsageError('tasks show needs <task-id>', name);
  if (extra.length > 0) throw new UsageError(`tasks show takes one task id, not ${positionals.join(' ')}`, name);
  const input: ShowTaskInput = { taskId };
  if (values.workflow !== undefined) input.workflowId = values.workflow;
  if (values.stream !== undefined) input.locations = values.stream;
  if (values.limit !== undefined) {
    const limit = Number(values.limit);
    if (!/^\d+$/.test(values.limit.trim()) || !Number.isSafeInteger(limit) || limit < 1) throw new UsageError(`--limit ${JSON.stringify(values.limit)}: expected a whole number of entries, at least 1`, name);
    input.limit = limit;
  }
  return { input, json: values.json === true };
}

function clip(text: string): string {
  return text.length > TEXT_LIMIT ? `${text.slice(0, TEXT_LIMIT - 1)}…` : text;
}

function when(entry: TaskHistoryEntry): string {
  return entry.recordedAtMs > 0 ? new Date(entry.recordedAtMs).toISOString() : entry.time || '-';
}

function label(entry: TaskHistoryEntry): string {
  if (entry.kind === 'requested') return entry.replay !== undefined ? `requested (replay ${entry.replay})` : 'requested';
  if (entry.kind === 'dead_lettered') return 'dead-lettered';
  return entry.success === false ? 'completed: failed' : entry.success === true ? 'completed: succeeded' : 'completed';
}

/** The indented lines under an entry: its event, then what the kind of entry tells. */
function details(entry: TaskHistoryEntry): string[] {
  const lines = [`event ${entry.eventId || '-'} from ${entry.source || '-'}${entry.time ? ` at ${entry.time}` : ''}${entry.traceId ? `, trace ${entry.traceId}` : ''}`];
  if (entry.replayOf) lines.push(`replay of the dead letter ${entry.replayOf}`);
  if (entry.kind === 'dead_lettered') lines.push(`attempt ${entry.attempt ?? 1}: ${clip(entry.reason ?? '')}`);
  if (entry.kind === 'completed') {
    const run = [entry.attempt !== undefined ? `attempt ${entry.attempt}` : '', entry.durationMs !== undefined ? `${entry.durationMs} ms` : ''].filter(Boolean).join(', ');
    if (run) lines.push(run);
    if (entry.success === false) lines.push(`error ${entry.errorCode ?? '-'}: ${clip(entry.error ?? '')}`);
    if (entry.output !== undefined) lines.push(`output ${clip(JSON.stringify(entry.output))}`);
  }
  return lines;
}

function entries(n: number): string {
  return `${n} ${n === 1 ? 'entry' : 'entries'}`;
}

function cutShortNote(shown: TaskShown): string {
  if (shown.cutShort === 'time') return `the search stopped at its time limit after ${entries(shown.examined)}: narrow it with --workflow or --stream`;
  return `the search stopped at its limit after ${entries(shown.examined)}: narrow it with --workflow or --stream, or raise --limit`;
}

/** The one line of `tasks show` for a task of which nothing was found. */
export function notFoundLine(shown: TaskShown): string {
  return shown.cutShort ? `no task ${shown.taskId} found (${cutShortNote(shown)})` : `no task ${shown.taskId} found (${entries(shown.examined)} searched)`;
}

/** The timeline of `tasks show`: who the task is, where it stands, then each entry oldest first. */
export function formatTask(shown: TaskShown): string {
  const first = shown.entries[0];
  const named = shown.entries.find((e) => e.taskName || e.taskType) ?? first;
  const what = named && (named.taskName || named.taskType) ? ` (${[named.taskName, named.taskType].filter(Boolean).join(', ')})` : '';
  const ids = first ? [`workflow ${first.workflowId || '-'}`, `execution ${first.executionId || '-'}`, `tenant ${first.tenantId || '-'}`].join(', ') : '';
  const out = [`task ${shown.taskId}${what}: ${ids}`, `status: ${shown.status.replace('_', '-')}`, ''];
  for (const entry of shown.entries) {
    out.push(`${when(entry)}  ${label(entry)}  ${entry.location} ${entry.messageId}`);
    for (const line of details(entry)) out.push(`    ${line}`);
  }
  if (shown.cutShort) out.push('', `note: ${cutShortNote(shown)}; the history may be incomplete`);
  return out.join('\n');
}

/** `tasks show …` (help is answered before this is called). */
export async function tasks(args: readonly string[], cfg: AppConfig, io: Output): Promise<number> {
  const [command, ...rest] = args;
  if (!command) throw new UsageError('tasks needs show', 'tasks');
  if (command !== 'show') throw new UsageError(`unknown tasks command ${command}`, 'tasks');
  const { input, json } = parseShowArgs(rest);
  // Arguments are checked before connecting: a usage error never waits for the backend.
  const operations = await createTaskOperations(cfg);
  try {
    const shown = await operations.show.execute(input);
    if (shown.entries.length === 0) {
      io.err(notFoundLine(shown));
      return 1;
    }
    io.out(json ? JSON.stringify(shown, null, 2) : formatTask(shown));
    return 0;
  } catch (error) {
    // Exit code 2, one line: as for the dead-letter commands, the operator must fix where the backend is.
    if (error instanceof TaskHistoryUnavailable) throw new InputError(error.message);
    throw error;
  } finally {
    await operations.close();
  }
}
