#!/usr/bin/env node
import 'reflect-metadata';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import os from 'node:os';
import Redis from 'ioredis';
import { DeadLetterStore } from '../application/ports/dead-letter-store.port';
import { RedisDeadLetterStore } from '../adapters/redis/dead-letter-store';
import { redisOptions } from '../adapters/redis/redis-connection';
import { SystemClock } from '../adapters/system/system-clock';
import { createExecutor } from '../config/container';
import { AppConfig, ConfigError, loadConfig } from '../config/env';
import { DeadLetterSummary } from '../application/ports/dead-letter-store.port';
import { localSubmission } from '../domain/local-submission';
import { fieldsFromEvent } from '../adapters/flunq-wire/stream-fields';

const USAGE = `usage:
  flunq-executor run <task.json>              run one task request locally (embedded, no Redis) and print its task.completed payload
  flunq-executor dlq list [--json] [<stream>…] list dead letters on the workflow streams (REDIS_URL)
  flunq-executor dlq show <stream> <entry-id> show one dead letter with its original payload and replays
  flunq-executor dlq replay <stream> <entry-id>…  append each as a new io.flunq.task.requested (dead letter kept)

exit codes: 0 ok (run: task succeeded), 1 task failed / not found / Redis error, 2 usage or configuration error,
            an unreadable, irregular or too large file, or a Redis that cannot be reached or refuses the password`;

type Out = (text: string) => void;
const out: Out = (text) => process.stdout.write(`${text}\n`);
const err: Out = (text) => process.stderr.write(`${text}\n`);

class UsageError extends Error {}

/** A problem the user must fix (a file, a Redis address or password): one line on stderr, exit code 2. */
class InputError extends Error {}

/** Longest wait for Redis to accept the connection and answer a PING. */
const REDIS_CONNECT_TIMEOUT_MS = 5000;

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
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new InputError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const built = localSubmission(body, Date.now(), process.pid);
  if (!built.ok) throw new UsageError(built.problem);
  const { service, submission } = await createExecutor(cfg, { profile: 'embedded', http: false, logStream: process.stderr });
  if (!submission) throw new Error('the embedded profile has no task submission');
  await service.start();
  try {
    const { request, taskId } = built.submission;
    const result = await submission.submit(request, taskId, cfg.executor.taskTimeoutMs + 5_000);
    if (result.status === 'timeout') {
      err(`no completion for ${taskId} within ${cfg.executor.taskTimeoutMs + 5_000} ms`);
      return 1;
    }
    if (result.status === 'dead_lettered') {
      err(`task was dead-lettered: ${result.outcome.extensions['reason'] ?? ''}`);
      out(JSON.stringify(fieldsFromEvent(result.outcome), null, 2));
      return 1;
    }
    const payload = JSON.parse(result.outcome.data ?? 'null') as { success?: boolean } | null;
    out(JSON.stringify(payload, null, 2));
    return payload?.success === false ? 1 : 0;
  } finally {
    await service.stop();
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

/** Why Redis could not be used, in one line without the password. */
function redisProblem(where: string, error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (/^NOAUTH\b/.test(message)) return `Redis at ${where} requires a password (NOAUTH): set REDIS_PASSWORD or give it in REDIS_URL`;
  if (/^WRONGPASS\b|invalid password|AUTH.*without any password/i.test(message)) return `Redis at ${where} refused the password (WRONGPASS): check REDIS_PASSWORD or the password in REDIS_URL`;
  if (code === 'ECONNREFUSED') return `cannot connect to Redis at ${where} (REDIS_URL): connection refused`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot connect to Redis at ${where} (REDIS_URL): host not found`;
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `cannot connect to Redis at ${where} (REDIS_URL): host unreachable (${code})`;
  return `cannot connect to Redis at ${where} (REDIS_URL): ${message.split('\n')[0] ?? message}`;
}

/**
 * A connection for one command line: connected and answering PING within
 * REDIS_CONNECT_TIMEOUT_MS, no reconnection, every error mapped to one line (InputError).
 */
async function connectRedis(cfg: AppConfig): Promise<Redis> {
  const options = redisOptions({ url: cfg.redis.url, password: cfg.redis.password });
  const where = `${options.host ?? 'localhost'}:${options.port ?? 6379}`;
  const redis = new Redis({ ...options, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: REDIS_CONNECT_TIMEOUT_MS, commandTimeout: 30_000 });
  let last: unknown;
  // Also keeps ioredis from printing "Unhandled error event" with a stack trace.
  redis.on('error', (error: unknown) => {
    last ??= error;
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${REDIS_CONNECT_TIMEOUT_MS / 1000} s`), { code: 'TIMEOUT' })), REDIS_CONNECT_TIMEOUT_MS);
  });
  const ready = redis.connect().then(() => redis.ping());
  ready.catch(() => undefined);
  try {
    await Promise.race([ready, deadline]);
  } catch (error) {
    redis.disconnect();
    const cause = (error as { code?: unknown }).code === 'TIMEOUT' ? error : (last ?? error);
    throw new InputError(redisProblem(where, cause));
  } finally {
    clearTimeout(timer);
  }
  return redis;
}

async function dlq(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (!command || !['list', 'show', 'replay'].includes(command)) throw new UsageError('dlq needs list, show or replay');
  const cfg = config();
  const store: DeadLetterStore = new RedisDeadLetterStore(await connectRedis(cfg), new SystemClock(), cfg.stream.pattern);
  try {
    if (command === 'list') {
      const json = rest.includes('--json');
      const items = await store.list(rest.filter((a) => a !== '--json'));
      out(json ? JSON.stringify(items, null, 2) : formatList(items));
      return 0;
    }
    const [stream, ...ids] = rest;
    if (!stream || ids.length === 0) throw new UsageError(`dlq ${command} needs <stream> <entry-id>`);
    if (command === 'show') {
      const record = await store.get(stream, ids[0]!);
      if (!record) {
        err(`${stream} ${ids[0]!} is not a dead letter`);
        return 1;
      }
      let data: unknown = record.event.data;
      try {
        data = JSON.parse(record.event.data ?? '');
      } catch {
        // Kept verbatim: a malformed payload is exactly what an operator needs to see.
      }
      const { location, messageId, ...summary } = record.summary;
      out(JSON.stringify({ stream: location, entryId: messageId, ...summary, fields: fieldsFromEvent(record.event), data, replays: record.replays }, null, 2));
      return 0;
    }
    let failures = 0;
    for (const id of ids) {
      try {
        const r = await store.replay(stream, id);
        out(`replayed ${stream} ${id} as ${r.messageId} (event id ${r.eventId}, replay ${r.replay})`);
      } catch (error) {
        failures++;
        err(`cannot replay ${stream} ${id}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return failures === 0 ? 0 : 1;
  } finally {
    await store.close();
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
    if (error instanceof InputError) {
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
