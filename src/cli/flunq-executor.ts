#!/usr/bin/env node
import 'reflect-metadata';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import os from 'node:os';
import { jsonTextTooDeep } from '../domain/json-limits';
import { SubmitTaskResult } from '../application/operations/submit-task.use-case';
import { DeadLetterRecord, DeadLetterStoreUnavailable, DeadLetterSummary } from '../application/ports/dead-letter-store.port';
import { submissionInput } from '../adapters/flunq-wire/hand-submitted';
import { fieldsFromEvent } from '../adapters/flunq-wire/stream-fields';
import { createDeadLetterOperations, createExecutor } from '../config/container';
import { AppConfig, ConfigError, loadConfig } from '../config/env';

const USAGE = `usage:
  flunq-executor run <task.json>              run one task request locally (embedded, no Redis) and print its task.completed payload
  flunq-executor dlq list [--json] [<stream>…] list dead letters on the workflow streams (REDIS_URL; NATS_URL with EVENT_STREAM_TYPE=nats)
  flunq-executor dlq show <stream> <entry-id> show one dead letter with its original payload and replays
                                              (on NATS: <subject> <stream sequence>)
  flunq-executor dlq replay <stream> <entry-id>…  append each as a new io.flunq.task.requested (dead letter kept)

exit codes: 0 ok (run: task succeeded), 1 task failed / not found / Redis error, 2 usage or configuration error,
            an unreadable, irregular or too large file, or a Redis that cannot be reached or refuses the password`;

type Out = (text: string) => void;
const out: Out = (text) => process.stdout.write(`${text}\n`);
const err: Out = (text) => process.stderr.write(`${text}\n`);

class UsageError extends Error {}

/** A problem the user must fix (a file): one line on stderr, exit code 2, as for a Redis that cannot be used. */
class InputError extends Error {}

function config(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({ HOSTNAME: os.hostname(), ...process.env, ...overrides });
}

/**
 * The text of a task request file, refused before reading when it is not a regular file
 * (`/dev/zero`, a FIFO, a directory: reading them never ends or fails late) or is larger than
 * `maxBytes`. The checks are made on the opened descriptor, so the file cannot be swapped between
 * the check and the read; at most `maxBytes` bytes are ever read, even from a file that grows.
 */
function readRequestFile(file: string, maxBytes: number): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO without a writer would block before fstat could refuse it.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new InputError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new InputError(`cannot read ${file}: not a regular file`);
    if (stat.size > maxBytes) throw new InputError(`cannot read ${file}: ${stat.size} bytes is larger than EXECUTOR_MAX_ENTRY_BYTES (${maxBytes} bytes)`);
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length <= maxBytes; length += n) n = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > maxBytes) throw new InputError(`cannot read ${file}: larger than EXECUTOR_MAX_ENTRY_BYTES (${maxBytes} bytes)`);
    return buffer.toString('utf8', 0, length);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    closeSync(fd);
  }
}

/** `run`: the embedded service without HTTP, logs on stderr so stdout carries only the payload. */
async function run(file: string | undefined): Promise<number> {
  if (!file) throw new UsageError('run needs a task request file');
  const cfg = config({ EVENT_STREAM_TYPE: 'memory', EXECUTOR_SUBMIT_API: 'false', LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn' });
  const text = readRequestFile(file, cfg.limits.maxEntryBytes);
  if (jsonTextTooDeep(text, cfg.limits.maxJsonDepth)) throw new InputError(`cannot read ${file}: it nests deeper than EXECUTOR_MAX_JSON_DEPTH (${cfg.limits.maxJsonDepth} levels)`);
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch (error) {
    throw new InputError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const input = submissionInput(request);
  if ('problem' in input) throw new UsageError(input.problem);
  const { service, submitTask } = await createExecutor(cfg, { profile: 'embedded', http: false, logStream: process.stderr });
  if (!submitTask) throw new Error('the embedded profile runs no submitted tasks');
  await service.start();
  let result: SubmitTaskResult;
  try {
    result = await submitTask.execute(input);
  } finally {
    await service.stop();
  }
  return printRun(result);
}

/** The outcome of `run`: the completion payload on stdout, exit code 0 only for a success. */
function printRun(result: SubmitTaskResult): number {
  switch (result.status) {
    case 'invalid':
      throw new UsageError(result.problem);
    case 'timeout':
      err(`no completion for ${result.taskId} within ${result.waitedMs} ms`);
      return 1;
    case 'dead_lettered':
      err(`task was dead-lettered: ${result.outcome.extensions['reason'] ?? ''}`);
      out(JSON.stringify(fieldsFromEvent(result.outcome), null, 2));
      return 1;
    default: {
      const payload = JSON.parse(result.outcome.data ?? 'null') as { success?: boolean } | null;
      out(JSON.stringify(payload, null, 2));
      return payload?.success === false ? 1 : 0;
    }
  }
}

function age(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

export function formatList(items: readonly DeadLetterSummary[]): string {
  if (items.length === 0) return 'no dead letters';
  const rows = [['STREAM', 'ENTRY', 'TASK', 'TYPE', 'ATTEMPTS', 'AGE', 'REASON']];
  for (const d of items) rows.push([d.location, d.messageId, d.taskId || '-', d.taskType || '-', String(d.attempts), age(d.ageMs), d.reason]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (i === 6 ? 0 : r[i]!.length))));
  return rows.map((r) => r.map((cell, i) => (i === 6 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
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

async function dlq(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (!command || !['list', 'show', 'replay'].includes(command)) throw new UsageError('dlq needs list, show or replay');
  const operations = await createDeadLetterOperations(config());
  try {
    if (command === 'list') {
      const json = rest.includes('--json');
      const items = await operations.list.execute({ locations: rest.filter((a) => a !== '--json') });
      out(json ? JSON.stringify(items, null, 2) : formatList(items));
      return 0;
    }
    const [stream, ...ids] = rest;
    if (!stream || ids.length === 0) throw new UsageError(`dlq ${command} needs <stream> <entry-id>`);
    if (command === 'show') {
      const record = await operations.show.execute({ location: stream, messageId: ids[0]! });
      if (!record) {
        err(`${stream} ${ids[0]!} is not a dead letter`);
        return 1;
      }
      out(formatRecord(record));
      return 0;
    }
    const outcomes = await operations.replay.execute({ location: stream, messageIds: ids });
    for (const o of outcomes) {
      if ('replayed' in o) out(`replayed ${stream} ${o.messageId} as ${o.replayed.messageId} (event id ${o.replayed.eventId}, replay ${o.replayed.replay})`);
      else err(`cannot replay ${stream} ${o.messageId}: ${o.problem}`);
    }
    return outcomes.every((o) => 'replayed' in o) ? 0 : 1;
  } finally {
    await operations.close();
  }
}

export async function cli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'run') return await run(rest[0]);
    if (command === 'dlq') return await dlq(rest);
    if (command === 'help' || command === '--help' || command === '-h') {
      out(USAGE);
      return 0;
    }
    throw new UsageError(command ? `unknown command ${command}` : 'no command');
  } catch (error) {
    if (error instanceof UsageError) {
      err(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof InputError || error instanceof DeadLetterStoreUnavailable) {
      err(`flunq-executor: ${error.message}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      err(error.message);
      return 2;
    }
    err(`flunq-executor: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (require.main === module) {
  cli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      err(String(error));
      process.exit(1);
    },
  );
}
