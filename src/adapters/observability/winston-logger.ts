import { EOL } from 'node:os';
import { configure } from 'safe-stable-stringify';
import winston from 'winston';
import { LogFields, Logger } from '../../application/ports/logger.port';
import { isSensitiveName, redactDeep } from '../../domain/redaction';
import { prettyFormat } from './pretty-format';

/** triple-beam's keys (winston's info object): `Symbol.for`, so they are the same symbols. */
const LEVEL = Symbol.for('level');
const MESSAGE = Symbol.for('message');
const DEFAULT_META = { service: 'flunq-executor' } as const;

/**
 * logform's `json` format, configured once: logform's own calls `stringify.configure()` for every
 * line. Same library, same defaults (keys sorted, circular references marked), same bigint handling.
 */
const stringify = configure({});
function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
const json = winston.format((info) => {
  (info as unknown as Record<symbol, unknown>)[MESSAGE] = stringify(info, replacer);
  return info;
});

/** logform's `timestamp` format (ISO 8601 with ms), with the text of the last millisecond reused. */
let lastMs = -1;
let lastIso = '';
const timestamp = winston.format((info) => {
  if (!info['timestamp']) {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      lastIso = new Date(now).toISOString();
    }
    info['timestamp'] = lastIso;
  }
  return info;
});

const redact = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'message') continue;
    const value = info[key];
    // Most fields are plain ids, counts and codes under harmless names: nothing to copy.
    if (!isSensitiveName(key) && (value === null || typeof value !== 'object')) continue;
    info[key] = (redactDeep({ [key]: value }) as Record<string, unknown>)[key];
  }
  return info;
});

export interface LoggerOptions {
  format?: 'json' | 'pretty';
  colors?: boolean;
}

interface Core {
  /** Level checks and end-of-life; its stream pipeline is not used for lines (below). */
  logger: winston.Logger;
  format: winston.Logform.Format;
  stream: NodeJS.WritableStream;
}

/**
 * JSON lines on stdout; every line goes through the same redaction as published payloads.
 *
 * Lines are built exactly as a winston logger with a Stream transport builds them (the same info
 * object: child bindings, then `service`, then the fields, then level and message; the formats
 * redact → timestamp → json) and written straight to the stream: winston's object-mode stream
 * pipeline (logger → format → transport) cost more per line than building it. A child only keeps
 * its bindings; they are merged when a line is written.
 */
export class WinstonLogger implements Logger {
  private constructor(
    private readonly core: Core,
    private readonly bindings: LogFields | undefined,
  ) {}

  /**
   * `format`: `json` (one JSON object per line, the default) or `pretty` (one readable
   * `key=value` line per event, coloured when `colors` is true).
   */
  static create(level: string, stream: NodeJS.WritableStream = process.stdout, options: LoggerOptions = {}): WinstonLogger {
    const format = winston.format.combine(redact(), timestamp(), options.format === 'pretty' ? prettyFormat({ colors: options.colors ?? false }) : json());
    const logger = winston.createLogger({
      level,
      defaultMeta: DEFAULT_META,
      format,
      transports: [new winston.transports.Stream({ stream })],
    });
    return new WinstonLogger({ logger, format, stream }, undefined);
  }

  debug(message: string, fields?: LogFields): void {
    this.write('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.write('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.write('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.write('error', message, fields);
  }
  child(bindings: LogFields): Logger {
    return new WinstonLogger(this.core, this.bindings ? { ...this.bindings, ...bindings } : bindings);
  }
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.core.logger.on('finish', () => resolve());
      this.core.logger.end();
    });
  }

  private write(level: string, message: string, fields: LogFields | undefined): void {
    const { logger, format, stream } = this.core;
    if (!logger.isLevelEnabled(level)) return;
    // winston's Logger.log(level, message, meta) and child(), in one object.
    // Object.assign and plain stores: an object literal spreading these with the computed symbol key cost 5 µs (V8 slow path).
    const info: Record<string | symbol, unknown> = Object.assign({}, this.bindings, DEFAULT_META, fields);
    info['level'] = level;
    info['message'] = message;
    info[LEVEL] = level;
    if (fields) {
      if (fields['message']) info['message'] = `${message} ${fields['message'] as string}`;
      if (fields['stack']) info['stack'] = fields['stack'];
      if (fields['cause']) info['cause'] = fields['cause'];
    }
    const out = format.transform(info as winston.Logform.TransformableInfo, format.options) as Record<symbol, unknown> | false;
    if (out) stream.write(`${String(out[MESSAGE])}${EOL}`);
  }
}
