import os from 'node:os';
import readline from 'node:readline';
import { parseArgs, ParseArgsConfig } from 'node:util';
import { DeadLetterFilter, DeadLetterListing, DeadLetterProblem, DeadLetterRef, UNRESOLVED } from '../application/operations/dead-letter-filter';
import { PurgeOutcome } from '../application/operations/purge-dead-letters.use-case';
import { ReplayOutcome } from '../application/operations/replay-dead-letters.use-case';
import { noteProblem, ResolveOutcome } from '../application/operations/resolve-dead-letters.use-case';
import { DEAD_LETTER_STATUSES, DeadLetterRecord, DeadLetterStatus } from '../application/ports/dead-letter-store.port';
import { fieldsFromEvent } from '../adapters/flunq-wire/stream-fields';
import { createDeadLetterOperations, DeadLetterOperations } from '../config/container';
import { AppConfig } from '../config/env';
import { parseDuration } from '../domain/duration';
import { InputError, Output, UsageError } from './cli-errors';

const FILTER_OPTIONS = {
  stream: { type: 'string', multiple: true },
  workflow: { type: 'string' },
  reason: { type: 'string' },
  'older-than': { type: 'string' },
  'not-replayed': { type: 'boolean' },
  status: { type: 'string', multiple: true },
} as const;

type FilterValues = { stream?: string[]; workflow?: string; reason?: string; 'older-than'?: string; 'not-replayed'?: boolean; status?: string[] };

const COMMANDS = ['list', 'show', 'replay', 'resolve', 'purge'] as const;

/** Rows of the matching dead letters shown before a purge asks for confirmation. */
const PREVIEW_ROWS = 20;

/** Where the CLI asks a person to confirm a purge. */
export interface Terminal {
  /** Whether someone can answer (standard input and standard error are terminals). */
  readonly interactive: boolean;
  /** Asks `question`; true when the answer is y or yes (any case), false otherwise or at end of input. */
  confirm(question: string): Promise<boolean>;
}

/** What `dlq` works with; tests give their own. */
export interface DlqDependencies {
  terminal: Terminal;
  /** The operations on the configured broker (connecting on first use). */
  operations: (cfg: AppConfig) => Promise<DeadLetterOperations>;
  /** Who runs the command, recorded by `dlq resolve` unless `--by` names someone. */
  operator: () => string;
}

/** The process's terminal: questions go to stderr, so that stdout stays the command's output. */
export function processTerminal(): Terminal {
  return {
    interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
    confirm: (question) =>
      new Promise<boolean>((resolve) => {
        const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
        let answered = false;
        rl.once('close', () => {
          if (!answered) resolve(false);
        });
        rl.question(question, (answer) => {
          answered = true;
          rl.close();
          resolve(/^y(es)?$/i.test(answer.trim()));
        });
      }),
  };
}

/** `user@host` of this process (the user from the environment when the system has no name for it). */
export function localOperator(): string {
  let user: string | undefined;
  try {
    user = os.userInfo().username;
  } catch {
    user = process.env['USER'] ?? process.env['LOGNAME'];
  }
  return `${user || 'unknown'}@${os.hostname()}`;
}

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

/**
 * `--status` values (repeatable, or comma-separated): `open`, `replayed`, `resolved`, `unresolved`
 * (open and replayed) and `any`. Absent: `fallback`. The result is empty for any status.
 */
export function parseStatuses(values: readonly string[] | undefined, fallback: readonly DeadLetterStatus[], command: string): DeadLetterStatus[] {
  if (values === undefined) return [...fallback];
  const out = new Set<DeadLetterStatus>();
  for (const word of values.flatMap((v) => v.split(',')).map((w) => w.trim().toLowerCase())) {
    if (word === 'any' || word === 'all') return [];
    if (word === 'unresolved') UNRESOLVED.forEach((s) => out.add(s));
    else if ((DEAD_LETTER_STATUSES as readonly string[]).includes(word)) out.add(word as DeadLetterStatus);
    else throw new UsageError(`--status ${JSON.stringify(word)}: expected open, replayed, resolved, unresolved or any`, command);
  }
  return [...out];
}

function filterOf(command: string, values: FilterValues, streams: readonly string[], statuses: readonly DeadLetterStatus[]): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  const locations = [...(values.stream ?? []), ...streams];
  if (locations.length > 0) filter.locations = locations;
  if (values.workflow !== undefined) filter.workflowId = values.workflow;
  if (values.reason !== undefined) filter.reason = values.reason;
  if (values['older-than'] !== undefined) filter.olderThanMs = parseAge(values['older-than'], command);
  if (values['not-replayed']) filter.notReplayed = true;
  if (statuses.length > 0) filter.statuses = statuses;
  return filter;
}

function usesFilter(values: FilterValues): boolean {
  return values.stream !== undefined || values.workflow !== undefined || values.reason !== undefined || values['older-than'] !== undefined || values['not-replayed'] !== undefined || values.status !== undefined;
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
  const rows = [['STREAM', 'ENTRY', 'TASK', 'TYPE', 'ATTEMPTS', 'AGE', 'STATUS', 'REPLAYS', 'REASON']];
  for (const d of items) rows.push([d.location, d.messageId, d.taskId || '-', d.taskType || '-', String(d.attempts), age(d.ageMs), d.status, String(d.replays), d.reason]);
  const last = rows[0]!.length - 1;
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (i === last ? 0 : r[i]!.length))));
  return rows.map((r) => r.map((cell, i) => (i === last ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** `dlq show`: the dead letter with its original payload (parsed when it is JSON), its status and resolution, and its replays. */
function formatRecord(record: DeadLetterRecord): string {
  let data: unknown = record.event.data;
  try {
    data = JSON.parse(record.event.data ?? '');
  } catch {
    // Kept verbatim: a malformed payload is exactly what an operator needs to see.
  }
  const { location, messageId, replays: _count, status, resolution, ...summary } = record.summary;
  return JSON.stringify({ stream: location, entryId: messageId, ...summary, status, ...(resolution ? { resolution } : {}), fields: fieldsFromEvent(record.event), data, replays: record.replays }, null, 2);
}

/** Prints each outcome (done on stdout, refused on stderr); the number refused. */
function printOutcomes<O extends DeadLetterRef>(outcomes: readonly (O | DeadLetterProblem)[], verb: string, done: (o: O) => string, io: Output): number {
  let failed = 0;
  for (const o of outcomes) {
    if ('problem' in o) {
      failed++;
      io.err(`cannot ${verb} ${o.location} ${o.messageId}: ${o.problem}`);
    } else io.out(done(o));
  }
  return failed;
}

const DONE = {
  replay: (o: Exclude<ReplayOutcome, DeadLetterProblem>) => `replayed ${o.location} ${o.messageId} as ${o.replayed.messageId} (event id ${o.replayed.eventId}, replay ${o.replayed.replay})`,
  resolve: (o: Exclude<ResolveOutcome, DeadLetterProblem>) =>
    o.alreadyResolved ? `${o.location} ${o.messageId} was resolved already (${o.resolved.resolvedAt} by ${o.resolved.by}${o.resolved.note ? `: ${o.resolved.note}` : ''})` : `resolved ${o.location} ${o.messageId}`,
  purge: (o: Exclude<PurgeOutcome, DeadLetterProblem>) => {
    const also = [...(o.purged.replayRecords > 0 ? [`${o.purged.replayRecords} replay record(s)`] : []), ...(o.purged.resolution ? ['its resolution'] : [])];
    return `purged ${o.location} ${o.messageId}${also.length > 0 ? ` with ${also.join(' and ')}` : ''}`;
  },
};

const PAST = { replay: 'replayed', resolve: 'resolved', purge: 'purged' } as const;

type WriteCommand = 'replay' | 'resolve' | 'purge';

/** The options of each write command beside the filters and `--all`. */
const OWN_OPTIONS: Record<WriteCommand, NonNullable<ParseArgsConfig['options']>> = {
  replay: {},
  resolve: { note: { type: 'string' }, by: { type: 'string' } },
  purge: { yes: { type: 'boolean', short: 'y' } },
};

/** `dlq replay|resolve|purge`: the dead letters named or matched, and the command's own options. */
function parseWrite(command: WriteCommand, rest: readonly string[]) {
  const name = `dlq ${command}`;
  const config: ParseArgsConfig = { args: [...rest], allowPositionals: true, options: { ...FILTER_OPTIONS, all: { type: 'boolean' }, ...OWN_OPTIONS[command] } };
  const { values, positionals } = parse(name, config);
  const options = values as FilterValues & { all?: boolean; note?: string; by?: string; yes?: boolean };
  let targets: { matching: DeadLetterFilter } | { location: string; messageIds: string[] };
  if (options.all) {
    if (positionals.length > 0) throw new UsageError(`${name} --all takes filters (--stream …), not entry ids`, name);
    targets = { matching: filterOf(name, options, [], parseStatuses(options.status, UNRESOLVED, name)) };
  } else {
    if (usesFilter(options)) throw new UsageError('filters select dead letters for --all; name entry ids or add --all', name);
    const [stream, ...ids] = positionals;
    if (!stream || ids.length === 0) throw new UsageError(`${name} needs <stream> <entry-id>… or --all`, name);
    targets = { location: stream, messageIds: ids };
  }
  return { name, options, targets };
}

/** `dlq list|show|replay|resolve|purge …` (help is answered before this is called). */
export async function dlq(args: readonly string[], cfg: AppConfig, io: Output, dependencies: Partial<DlqDependencies> = {}): Promise<number> {
  const deps: DlqDependencies = { terminal: dependencies.terminal ?? processTerminal(), operations: dependencies.operations ?? createDeadLetterOperations, operator: dependencies.operator ?? localOperator };
  const [command, ...rest] = args;
  if (!command) throw new UsageError('dlq needs list, show, replay, resolve or purge', 'dlq');
  if (!(COMMANDS as readonly string[]).includes(command)) throw new UsageError(`unknown dlq command ${command}`, 'dlq');
  const name = `dlq ${command}`;
  let action: (operations: DeadLetterOperations) => Promise<number>;
  if (command === 'list') {
    const { values, positionals } = parse(name, { args: [...rest], allowPositionals: true, options: { ...FILTER_OPTIONS, json: { type: 'boolean' }, all: { type: 'boolean' } } });
    if (values.all && values.status !== undefined) throw new UsageError('--all lists every status: give --all or --status, not both', name);
    const filter = filterOf(name, values, positionals, values.all ? [] : parseStatuses(values.status, UNRESOLVED, name));
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
    action = writeAction(command as WriteCommand, rest, deps, io);
  }
  // Arguments are checked before connecting: a usage error never waits for Redis.
  const operations = await deps.operations(cfg);
  try {
    return await action(operations);
  } finally {
    await operations.close();
  }
}

/** `dlq replay|resolve|purge`, checked (a usage error or a purge that cannot be confirmed throws here, before connecting). */
function writeAction(command: WriteCommand, rest: readonly string[], deps: DlqDependencies, io: Output): (operations: DeadLetterOperations) => Promise<number> {
  const { name, options, targets } = parseWrite(command, rest);
  const note = options.note?.trim();
  if (note !== undefined) {
    const problem = noteProblem(note);
    if (problem) throw new UsageError(`--note: ${problem}`, name);
  }
  if (command === 'purge' && !options.yes && !deps.terminal.interactive) {
    throw new UsageError('dlq purge deletes for good and there is no terminal to confirm on: add --yes', name);
  }
  const matching = 'matching' in targets;
  return async (operations) => {
    let outcomes: (ReplayOutcome | ResolveOutcome | PurgeOutcome)[];
    let failed: number;
    if (command === 'replay') {
      const replayed = await operations.replay.execute(targets);
      outcomes = replayed;
      failed = printOutcomes(replayed, 'replay', DONE.replay, io);
    } else if (command === 'resolve') {
      const resolved = await operations.resolve.execute({ ...targets, by: options.by ?? deps.operator(), ...(note ? { note } : {}) });
      outcomes = resolved;
      failed = printOutcomes(resolved, 'resolve', DONE.resolve, io);
    } else {
      // What a purge deletes is settled before asking: the dead letters listed are the ones purged.
      const listed = 'matching' in targets ? await operations.list.execute(targets.matching) : undefined;
      const items: DeadLetterRef[] = listed ? listed.map(({ location, messageId }) => ({ location, messageId })) : 'messageIds' in targets ? targets.messageIds.map((messageId) => ({ location: targets.location, messageId })) : [];
      if (items.length > 0 && !options.yes) await confirmPurge(items, listed, deps.terminal, io);
      const purged = await operations.purge.execute({ items });
      outcomes = purged;
      failed = printOutcomes(purged, 'purge', DONE.purge, io);
    }
    if (matching) io.out(`${PAST[command]} ${outcomes.length - failed} of ${outcomes.length} matching dead letters${failed > 0 ? ` (${failed} failed)` : ''}`);
    return failed === 0 ? 0 : 1;
  };
}

/** Shows what a purge would delete (on stderr) and asks; throws InputError (exit code 2) unless confirmed. */
async function confirmPurge(items: readonly DeadLetterRef[], listed: readonly DeadLetterListing[] | undefined, terminal: Terminal, io: Output): Promise<void> {
  if (listed) {
    io.err(`${items.length} dead letter(s) match:`);
    io.err(formatList(listed.slice(0, PREVIEW_ROWS)));
    if (items.length > PREVIEW_ROWS) io.err(`… and ${items.length - PREVIEW_ROWS} more`);
  } else {
    io.err(`to purge at ${items[0]!.location}: ${items.map((i) => i.messageId).join(' ')}`);
  }
  const yes = await terminal.confirm(`Purge ${items.length} dead letter(s) for good, with their replay records and resolutions? This cannot be undone. [y/N] `);
  if (!yes) throw new InputError('dlq purge not confirmed: nothing was purged');
}
