import { LogFields, Logger } from '../../src/application/ports/logger.port';

export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: LogFields;
}

/** Keeps log lines in an array shared by all its children (tests read them). */
export class InMemoryLogger implements Logger {
  constructor(
    readonly records: LogRecord[] = [],
    private readonly bindings: LogFields = {},
  ) {}

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
    return new InMemoryLogger(this.records, { ...this.bindings, ...bindings });
  }

  private write(level: LogRecord['level'], message: string, fields?: LogFields): void {
    this.records.push({ level, message, fields: { ...this.bindings, ...(fields ?? {}) } });
  }
}
