import winston from 'winston';
import { LogFields, Logger } from '../../application/ports/logger.port';
import { isSensitiveName, redactDeep } from '../../domain/redaction';

/** JSON lines on stdout; every line goes through the same redaction as published payloads. */
export class WinstonLogger implements Logger {
  private constructor(private readonly logger: winston.Logger) {}

  static create(level: string, stream: NodeJS.WritableStream = process.stdout): WinstonLogger {
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
    return new WinstonLogger(
      winston.createLogger({
        level,
        defaultMeta: { service: 'flunq-executor' },
        format: winston.format.combine(redact(), winston.format.timestamp(), winston.format.json()),
        transports: [new winston.transports.Stream({ stream })],
      }),
    );
  }

  debug(message: string, fields?: LogFields): void {
    this.logger.debug(message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.logger.info(message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.logger.warn(message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.logger.error(message, fields);
  }
  child(bindings: LogFields): Logger {
    return new WinstonLogger(this.logger.child(bindings));
  }
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.logger.on('finish', () => resolve());
      this.logger.end();
    });
  }
}
