import { Container } from 'inversify';
import { ExecutorLoop } from '../application/executor-loop';
import { Logger } from '../application/ports/logger.port';
import { TaskInbox } from '../application/ports/task-inbox.port';
import { TOKENS } from '../application/ports/tokens';
import { HealthServer } from '../adapters/express/health-server';
import { AppConfig } from './env';

interface Closable {
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** Serve /health, /healthz, /readyz, /metrics (default true; the CLI runner turns it off). */
  http?: boolean;
}

/** The running service: what main.ts starts and stops. */
export class ExecutorService {
  private readonly loop: ExecutorLoop;
  private readonly logger: Logger;

  constructor(
    private readonly container: Container,
    private readonly config: AppConfig,
    private readonly options: ServiceOptions = {},
  ) {
    this.loop = container.get<ExecutorLoop>(TOKENS.ExecutorLoop);
    this.logger = container.get<Logger>(TOKENS.Logger);
  }

  get executorLoop(): ExecutorLoop {
    return this.loop;
  }

  /**
   * Starts the health server, then the loop: a taken port fails start-up before any entry is
   * read (/readyz says `starting` until the loop runs).
   */
  async start(): Promise<void> {
    if (this.options.http ?? true) await this.container.get<HealthServer>(TOKENS.HealthServer).start();
    this.loop.start();
    this.logger.info('executor started', { concurrency: this.config.executor.concurrency, group: this.config.stream.group, consumer: this.config.stream.consumer });
  }

  /** SIGTERM: stop reading, drain in-flight tasks until the deadline, then close each adapter in its own try. */
  async stop(): Promise<void> {
    this.logger.info('executor stopping', { inFlight: this.loop.inFlightCount, deadlineMs: this.config.executor.shutdownTimeoutMs });
    await this.loop.stop(this.config.executor.shutdownTimeoutMs);
    const closables: Closable[] = [this.container.get<TaskInbox>(TOKENS.TaskInbox)];
    for (const token of [TOKENS.HealthServer, TOKENS.HttpClient, TOKENS.CircuitBreaker]) {
      if (this.container.isBound(token)) closables.unshift(this.container.get<Closable>(token));
    }
    for (const closable of closables) {
      try {
        await closable.close();
      } catch (error) {
        this.logger.error('closing an adapter failed', { error: error instanceof Error ? error.message : String(error) });
      }
    }
    this.logger.info('executor stopped');
  }
}
