import { ExecutorLoop } from '../application/executor-loop';
import { Logger } from '../application/ports/logger.port';

export interface Closable {
  close(): Promise<void>;
}

/** What the service runs: built by the composition root, handed over whole. */
export interface ServiceParts {
  loop: ExecutorLoop;
  logger: Logger;
  /** /health, /healthz, /readyz, /metrics (and POST /tasks); absent when the service serves no HTTP (the CLI runner). */
  healthServer?: Closable & { start(): Promise<void> };
  /** Adapters holding connections, closed in this order once the loop has drained. */
  adapters: readonly Closable[];
}

export interface ServiceSettings {
  /** How long in-flight tasks may run on shutdown, in ms. */
  shutdownTimeoutMs: number;
  /** For the start-up log line. */
  concurrency: number;
  group: string;
  consumer: string;
}

/** The running service: what main.ts starts and stops. */
export class ExecutorService {
  constructor(
    private readonly parts: ServiceParts,
    private readonly settings: ServiceSettings,
  ) {}

  /**
   * Starts the health server, then the loop: a taken port fails start-up before any entry is
   * read (/readyz says `starting` until the loop runs).
   */
  async start(): Promise<void> {
    await this.parts.healthServer?.start();
    this.parts.loop.start();
    const { concurrency, group, consumer } = this.settings;
    this.parts.logger.info('executor started', { concurrency, group, consumer });
  }

  /** SIGTERM: stop reading, drain in-flight tasks until the deadline, close the server, then each adapter in its own try. */
  async stop(): Promise<void> {
    const { loop, logger, healthServer, adapters } = this.parts;
    logger.info('executor stopping', { inFlight: loop.inFlightCount, deadlineMs: this.settings.shutdownTimeoutMs });
    await loop.stop(this.settings.shutdownTimeoutMs);
    for (const closable of healthServer ? [healthServer, ...adapters] : adapters) {
      try {
        await closable.close();
      } catch (error) {
        logger.error('closing an adapter failed', { error: error instanceof Error ? error.message : String(error) });
      }
    }
    logger.info('executor stopped');
  }
}
