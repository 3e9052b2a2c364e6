export type LogFields = Record<string, unknown>;

/**
 * Structured logging. Implementations redact sensitive fields, but callers still never
 * pass payloads, headers or secrets.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `bindings` to every line (cheap: called once per task). */
  child(bindings: LogFields): Logger;
}
