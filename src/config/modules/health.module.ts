import { ContainerModule } from 'inversify';
import { Registry } from 'prom-client';
import { ExecutorLoop } from '../../application/executor-loop';
import { ExecutorStatus } from '../../application/executor-status';
import { Clock } from '../../application/ports/clock.port';
import { EventLoopMonitor } from '../../application/ports/event-loop-monitor.port';
import { Logger } from '../../application/ports/logger.port';
import { Metrics } from '../../application/ports/metrics.port';
import { ServiceStatus } from '../../application/ports/service-status.port';
import { TaskInbox } from '../../application/ports/task-inbox.port';
import { TaskSubmission } from '../../application/ports/task-submission.port';
import { TOKENS } from '../../application/ports/tokens';
import { HealthServer } from '../../adapters/express/health-server';
import { PrometheusMetrics } from '../../adapters/observability/prometheus-metrics';
import { IntervalStallMonitor } from '../../adapters/system/interval-stall-monitor';
import { AppConfig } from '../env';

const EventLoopMonitorToken = Symbol('EventLoopMonitor');
/** How long an event-loop stall beyond EXECUTOR_STALL_THRESHOLD keeps liveness failing. */
const STALL_WINDOW_MS = 60_000;

/** Service status (liveness/readiness) and the Express health/metrics server. */
export const healthModule = new ContainerModule(({ bind }) => {
  bind<IntervalStallMonitor>(EventLoopMonitorToken)
    .toResolvedValue(() => IntervalStallMonitor.start())
    .onDeactivation((monitor: IntervalStallMonitor) => monitor.close());
  bind<ServiceStatus>(TOKENS.ServiceStatus).toResolvedValue(
    (loop: ExecutorLoop, inbox: TaskInbox, eventLoop: EventLoopMonitor, clock: Clock, config: AppConfig) =>
      new ExecutorStatus(loop, inbox, eventLoop, clock, {
        // Liveness fails only when the loop stalls far beyond one blocking read plus the longest backoff…
        stallAfterMs: Math.max(60_000, 3 * config.stream.blockMs + 30_000),
        // …or after the event loop itself was held longer than the threshold.
        eventLoopStallMs: config.health.stallThresholdMs,
        eventLoopStallWindowMs: STALL_WINDOW_MS,
      }),
    [TOKENS.ExecutorLoop, TOKENS.TaskInbox, EventLoopMonitorToken, TOKENS.Clock, TOKENS.Config],
  );
  bind(TOKENS.HealthServer).toResolvedValue(
    (config: AppConfig, status: ServiceStatus, metrics: Metrics, logger: Logger, clock: Clock, submission: TaskSubmission | undefined) =>
      new HealthServer(
        { healthPort: config.health.port, metricsPort: config.health.metricsPort, submitTimeoutMs: config.executor.taskTimeoutMs + 5_000, ...(config.health.host ? { host: config.health.host } : {}), ...(config.health.submitToken ? { submitToken: config.health.submitToken } : {}) },
        {
          status,
          registry: metrics instanceof PrometheusMetrics ? metrics.registry : new Registry(),
          logger,
          clock,
          ...(config.health.submitApi && submission ? { submission } : {}),
        },
      ),
    [TOKENS.Config, TOKENS.ServiceStatus, TOKENS.Metrics, TOKENS.Logger, TOKENS.Clock, { serviceIdentifier: TOKENS.TaskSubmission, optional: true }],
  );
});
