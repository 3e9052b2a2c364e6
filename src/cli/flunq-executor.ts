#!/usr/bin/env node
import 'reflect-metadata';
import os from 'node:os';
import { DeadLetterStoreUnavailable } from '../application/ports/dead-letter-store.port';
import { AppConfig, ConfigError, loadConfig } from '../config/env';
import { runService } from '../config/run-service';
import { describeUnknownSetting, unknownSettings } from '../config/unknown-settings';
import { InputError, Output, UsageError } from './cli-errors';
import { dlq, parse } from './dlq-command';
import { HELP, version } from './help';
import { run } from './run-command';
import { tasks } from './tasks-command';
import { validate } from './validate-command';

const io: Output = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

const HELP_FLAGS = new Set(['--help', '-h']);
const VERSION_FLAGS = new Set(['--version', '-v']);

/** The settings, overridden as a command needs; unknown settings are reported on stderr first. */
function config(overrides: Record<string, string> = {}): AppConfig {
  for (const setting of unknownSettings(process.env)) io.err(`flunq-executor: warning: ${describeUnknownSetting(setting)}`);
  return loadConfig({ HOSTNAME: os.hostname(), ...process.env, ...overrides });
}

/**
 * The help a command line asks for, or undefined: `help [<command>…]`, or `--help`/`-h` anywhere
 * before a `--` (so `dlq list --help` is help, never a listing).
 */
function helpTopic(argv: readonly string[]): string | undefined {
  const end = argv.indexOf('--');
  const args = end >= 0 ? argv.slice(0, end) : argv;
  const words = args.filter((a) => !a.startsWith('-'));
  if (args[0] === 'help') words.shift();
  else if (!args.some((a) => HELP_FLAGS.has(a))) return undefined;
  // The longest known command the words start with: `dlq list extra` → `dlq list`.
  for (let n = Math.min(words.length, 2); n > 0; n--) {
    const topic = words.slice(0, n).join(' ');
    if (HELP[topic] !== undefined) return topic;
  }
  if (words.length > 0) throw new UsageError(`no help for ${words.join(' ')}`);
  return '';
}

/** Runs one command line; resolves with the exit code, or undefined for `serve` (it runs until signalled). */
export async function cli(argv: readonly string[]): Promise<number | undefined> {
  try {
    const topic = helpTopic(argv);
    if (topic !== undefined) {
      io.out(HELP[topic]!);
      return 0;
    }
    const [command, ...rest] = argv;
    if (command !== undefined && VERSION_FLAGS.has(command)) {
      io.out(version());
      return 0;
    }
    switch (command) {
      case 'run': {
        const [file, ...extra] = parse('run', { args: rest, allowPositionals: true, options: {} }).positionals;
        if (!file) throw new UsageError('run needs a task request file', 'run');
        if (extra.length > 0) throw new UsageError(`run takes one task request file, not ${[file, ...extra].join(' ')}`, 'run');
        return await run(file, config({ EVENT_STREAM_TYPE: 'memory', EXECUTOR_SUBMIT_API: 'false', LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn' }), io);
      }
      case 'dlq':
        return await dlq(rest, config(), io);
      case 'tasks':
        return await tasks(rest, config(), io);
      case 'validate': {
        const [file, ...extra] = parse('validate', { args: rest, allowPositionals: true, options: {} }).positionals;
        if (!file) throw new UsageError('validate needs a task request or workflow file', 'validate');
        if (extra.length > 0) throw new UsageError(`validate takes one file, not ${[file, ...extra].join(' ')}`, 'validate');
        return await validate(file, config({ EVENT_STREAM_TYPE: 'memory', EXECUTOR_SUBMIT_API: 'false', LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn' }), io);
      }
      case 'serve':
        if (parse('serve', { args: rest, allowPositionals: true, options: {} }).positionals.length > 0) throw new UsageError(`serve takes no arguments (settings are environment variables), not ${rest.join(' ')}`, 'serve');
        // The service reports unknown settings and its configuration through its own logger.
        await runService(process.env);
        return undefined;
      case undefined:
        throw new UsageError('no command');
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (error) {
    return report(error);
  }
}

/** One line on stderr and the exit code: 2 for what the user must fix, 1 for the rest. */
function report(error: unknown): number {
  if (error instanceof UsageError) {
    io.err(`flunq-executor: ${error.message} (see: flunq-executor help${error.command ? ` ${error.command}` : ''})`);
    return 2;
  }
  if (error instanceof ConfigError) {
    io.err(`flunq-executor: invalid configuration: ${error.problems.join('; ')}`);
    return 2;
  }
  if (error instanceof InputError || error instanceof DeadLetterStoreUnavailable) {
    io.err(`flunq-executor: ${error.message}`);
    return 2;
  }
  io.err(`flunq-executor: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`);
  return 1;
}

if (require.main === module) {
  cli(process.argv.slice(2)).then(
    (code) => {
      if (code !== undefined) process.exit(code);
    },
    (error: unknown) => {
      io.err(`flunq-executor: ${String(error)}`);
      process.exit(1);
    },
  );
}
