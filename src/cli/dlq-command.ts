import { parseArgs, ParseArgsConfig } from 'node:util';
import { DeadLetterFilter, DeadLetterListing } from '../application/operations/dead-letter-filter';
import { ReplayOutcome } from '../application/operations/replay-dead-letters.use-case';
import { DeadLetterRecord } from '../application/ports/dead-letter-store.port';
import { fieldsFromEvent } from '../adapters/flunq-wire/stream-fields';
import { createDeadLetterOperations } from '../config/container';
import { AppConfig } from '../config/env';
import { parseDuration } from '../domain/duration';
import { Output, UsageError } from './cli-errors';

const FILTER_OPTIONS = {
  stream: { type: 'string', multiple: true },
  workflow: { type: 'string' },
  reason: { type: 'string' },
  'older-than': { type: 'string' },
  'not-replayed': { type: 'boolean' },
} as const;

/** `parseArgs`, its errors as usage errors of `command`. */
export function parse<T extends ParseArgsConfig>(command: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    // Node's text goes on about positionals after `--`: the first sentence says it all.
    const text = error instanceof Error ? error.message : String(error);
    throw new UsageError(text.split('. To specify a positional')[0]!.replace(/^Unknown option/, 'unknown option'), command);
  }
}

/** `90s`, `30m`, `2h`, `PT1H` (any duration of the settings), and `3d` for days. */
export function parseAge(text: string, command = 'dlq list'): number {
  const days = /^(\d+)d$/.exec(text.trim());
  if (days) return Number(days[1]) * 86_400_000;
  try {
    return parseDuration(text);
  } catch {
    throw new UsageError(`--older-than ${JSON.stringify(text)}: expected a duration such as 90s, 30m, 2h, 3d or PT1H`, command);
  }
}

function filterOf(command: string, values: { stream?: string[]; workflow?: string; reason?: string; 'older-than'?: string; 'not-replayed'?: boolean }, streams: readonly string[]): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  const locations = [...(values.stream ?? []), ...streams];
  if (locations.length > 0) filter.locations = locations;
  if (values.workflow !== undefined) filter.workflowId = values.workflow;
  if (values.reason !== undefined) filter.reason = values.reason;
  if (values['older-than'] !== undefined) filter.olderThanMs = parseAge(values['older-than'], command);
  if (values['not-replayed']) filter.notReplayed = true;
  return filter;
}

function age(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** The `dlq list` table: one row per dead letter, the reason last and unpadded. */
export function formatList(items: readonly DeadLetterListing[]): string {
  if (items.length === 0) return 'no dead letters';
  const rows = [['STREAM', 'ENTRY', 'TASK', 'TYPE', 'ATTEMPTS', 'AGE', 'REPLAYS', 'REASON']];
  for (const d of items) rows.push([d.location, d.messageId, d.taskId || '-', d.taskType || '-', String(d.attempts), age(d.ageMs), String(d.replays), d.reason]);
  const last = rows[0]!.length - 1;
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (i === last ? 0 : r[i]!.length))));
  return rows.map((r) => r.map((cell, i) => (i === last ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** `dlq show`: the dead letter with its original payload (parsed when it is JSON) and its replays. */
function formatRecord(record: DeadLetterRecord): string {
  let data: unknown = record.event.data;
  try {
    data = JSON.parse(record.event.data ?? '');
  } catch {
    // Kept verbatim: a malformed payload is exactly what an operator needs to see.
  }
  const { location, messageId, ...summary } = record.summary;
  return JSON.stringify({ stream: location, entryId: messageId, ...summary, fields: fieldsFromEvent(record.event), data, replays: record.replays }, null, 2);
}

function printReplays(outcomes: readonly ReplayOutcome[], io: Output): void {
  for (const o of outcomes) {
    if ('replayed' in o) io.out(`replayed ${o.location} ${o.messageId} as ${o.replayed.messageId} (event id ${o.replayed.eventId}, replay ${o.replayed.replay})`);
    else io.err(`cannot replay ${o.location} ${o.messageId}: ${o.problem}`);
  }
}

/** `dlq list|show|replay …` (help is answered before this is called). */
export async function dlq(args: readonly string[], cfg: AppConfig, io: Output): Promise<number> {
  const [command, ...rest] = args;
  if (!command) throw new UsageError('dlq needs list, show or replay', 'dlq');
  if (!['list', 'show', 'replay'].includes(command)) throw new UsageError(`unknown dlq command ${command}`, 'dlq');
  const name = `dlq ${command}`;
  let action: (operations: Awaited<ReturnType<typeof createDeadLetterOperations>>) => Promise<number>;
  if (command === 'list') {
    const { values, positionals } = parse(name, { args: [...rest], allowPositionals: true, options: { ...FILTER_OPTIONS, json: { type: 'boolean' } } });
    const filter = filterOf(name, values, positionals);
    action = async (operations) => {
      const items = await operations.list.execute(filter);
      io.out(values.json ? JSON.stringify(items, null, 2) : formatList(items));
      return 0;
    };
  } else if (command === 'show') {
    const { positionals } = parse(name, { args: [...rest], allowPositionals: true, options: {} });
    const [stream, id, ...extra] = positionals;
    if (!stream || !id || extra.length > 0) throw new UsageError('dlq show needs <stream> <entry-id>', name);
    action = async (operations) => {
      const record = await operations.show.execute({ location: stream, messageId: id });
      if (!record) {
        io.err(`${stream} ${id} is not a dead letter`);
        return 1;
      }
      io.out(formatRecord(record));
      return 0;
    };
  } else {
    const { values, positionals } = parse(name, { args: [...rest], allowPositionals: true, options: { ...FILTER_OPTIONS, all: { type: 'boolean' } } });
    const usesFilter = values.stream !== undefined || values.workflow !== undefined || values.reason !== undefined || values['older-than'] !== undefined || values['not-replayed'] !== undefined;
    if (values.all) {
      if (positionals.length > 0) throw new UsageError('dlq replay --all takes filters (--stream …), not entry ids', name);
      const filter = filterOf(name, values, []);
      action = async (operations) => {
        const outcomes = await operations.replay.execute({ matching: filter });
        printReplays(outcomes, io);
        const failed = outcomes.filter((o) => 'problem' in o).length;
        io.out(`replayed ${outcomes.length - failed} of ${outcomes.length} matching dead letters${failed > 0 ? ` (${failed} failed)` : ''}`);
        return failed === 0 ? 0 : 1;
      };
    } else {
      if (usesFilter) throw new UsageError('filters select dead letters for --all; name entry ids or add --all', name);
      const [stream, ...ids] = positionals;
      if (!stream || ids.length === 0) throw new UsageError('dlq replay needs <stream> <entry-id>… or --all', name);
      action = async (operations) => {
        const outcomes = await operations.replay.execute({ location: stream, messageIds: ids });
        printReplays(outcomes, io);
        return outcomes.every((o) => 'replayed' in o) ? 0 : 1;
      };
    }
  }
  // Arguments are checked before connecting: a usage error never waits for Redis.
  const operations = await createDeadLetterOperations(cfg);
  try {
    return await action(operations);
  } finally {
    await operations.close();
  }
}
