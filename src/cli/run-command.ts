import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { SubmitTaskResult } from '../application/operations/submit-task.use-case';
import { submissionInput } from '../adapters/flunq-wire/hand-submitted';
import { fieldsFromEvent } from '../adapters/flunq-wire/stream-fields';
import { createExecutor } from '../config/container';
import { AppConfig } from '../config/env';
import { jsonTextTooDeep } from '../domain/json-limits';
import { InputError, Output } from './cli-errors';
import { jsonSyntaxProblem } from './json-position';

/**
 * The text of a task request file, refused before reading when it is not a regular file
 * (`/dev/zero`, a FIFO, a directory: reading them never ends or fails late) or is larger than
 * `maxBytes`. The checks are made on the opened descriptor, so the file cannot be swapped between
 * the check and the read; at most `maxBytes` bytes are ever read, even from a file that grows.
 */
export function readRequestFile(file: string, maxBytes: number): string {
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

/** The request in `file`, parsed: a syntax error names the file, line, column and position on one line. */
function parseRequestFile(file: string, cfg: AppConfig): unknown {
  const text = readRequestFile(file, cfg.limits.maxEntryBytes);
  if (jsonTextTooDeep(text, cfg.limits.maxJsonDepth)) throw new InputError(`cannot read ${file}: it nests deeper than EXECUTOR_MAX_JSON_DEPTH (${cfg.limits.maxJsonDepth} levels)`);
  try {
    return JSON.parse(text);
  } catch {
    const problem = jsonSyntaxProblem(text);
    const where = problem ? `line ${problem.line}, column ${problem.column} (position ${problem.position}): ${problem.reason}` : 'not valid JSON';
    throw new InputError(`${file}: invalid JSON at ${where}`);
  }
}

/** `run`: the embedded service without HTTP, logs on stderr so stdout carries only the payload. */
export async function run(file: string, cfg: AppConfig, io: Output): Promise<number> {
  const request = parseRequestFile(file, cfg);
  const input = submissionInput(request);
  if ('problem' in input) throw new InputError(`${file}: ${input.problem}`);
  const { service, submitTask } = await createExecutor(cfg, { profile: 'embedded', http: false, logStream: process.stderr });
  if (!submitTask) throw new Error('the embedded profile runs no submitted tasks');
  await service.start();
  let result: SubmitTaskResult;
  try {
    result = await submitTask.execute(input);
  } finally {
    await service.stop();
  }
  return printRun(file, result, io);
}

/** The outcome of `run`: the completion payload on stdout, exit code 0 only for a success. */
function printRun(file: string, result: SubmitTaskResult, io: Output): number {
  switch (result.status) {
    case 'invalid':
      throw new InputError(`${file}: ${result.problem}`);
    case 'timeout':
      io.err(`no completion for ${result.taskId} within ${result.waitedMs} ms`);
      return 1;
    case 'dead_lettered':
      io.err(`task was dead-lettered: ${result.outcome.extensions['reason'] ?? ''}`);
      io.out(JSON.stringify(fieldsFromEvent(result.outcome), null, 2));
      return 1;
    default: {
      const payload = JSON.parse(result.outcome.data ?? 'null') as { success?: boolean } | null;
      io.out(JSON.stringify(payload, null, 2));
      return payload?.success === false ? 1 : 0;
    }
  }
}
