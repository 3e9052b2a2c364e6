import os from 'node:os';
import { Logger } from '../application/ports/logger.port';
import { createExecutor } from './container';
import { effectiveConfig } from './effective-config';
import { AppConfig, ConfigError, loadConfig } from './env';
import { describeUnknownSetting, unknownSettings } from './unknown-settings';

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What start-up says once the logger exists: the configuration (secrets hidden) and each unknown setting. */
export function logStartup(logger: Logger, config: AppConfig, env: Readonly<Record<string, string | undefined>>): void {
  logger.info('configuration', { config: effectiveConfig(config) });
  for (const setting of unknownSettings(env)) logger.warn(describeUnknownSetting(setting), { setting: setting.name, ...(setting.suggestion ? { suggestion: setting.suggestion } : {}) });
}

/**
 * The service process (`main.ts`, `flunq-executor serve`): reads the configuration, builds the
 * executor, starts it and stops it on SIGTERM/SIGINT, then exits. Once the logger exists, every line
 * (signals, a port already taken) goes through it, in LOG_FORMAT. A configuration error comes
 * before there is a logger: it is written to stderr as text, with exit code 2.
 */
export async function runService(env: Readonly<Record<string, string | undefined>> = process.env): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig({ HOSTNAME: os.hostname(), ...env });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  let executor;
  try {
    executor = await createExecutor(config);
  } catch (error) {
    process.stderr.write(`executor failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  }
  const { service, logger } = executor;
  logStartup(logger, config, env);
  try {
    await service.start();
  } catch (error) {
    // A taken port, say: one line in the log's format, and the process ends.
    logger.error('executor failed to start', { error: message(error), ...(error instanceof Error && 'code' in error ? { code: String(error.code) } : {}) });
    process.exit(1);
  }

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info(`received ${signal}; finishing in-flight tasks`, { signal });
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', { error: message(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
