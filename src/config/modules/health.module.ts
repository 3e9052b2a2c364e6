import { ContainerModule } from 'inversify';
import { ExecutorStatus } from '../../application/executor-status';
import { HealthServer } from '../../adapters/express/health-server';
import { IntervalStallMonitor } from '../../adapters/system/interval-stall-monitor';
import { bindFactory } from '../binding';
import { AppConfig, HealthSettings } from '../env';
import { CLOCK, EVENT_LOOP_MONITOR, EXECUTOR_LOOP, HEALTH_SERVER, LOGGER, METRICS_REGISTRY, SERVICE_STATUS, SUBMIT_TASK, TASK_INBOX } from '../tokens';

/** How long an event-loop stall beyond EXECUTOR_STALL_THRESHOLD keeps liveness failing. */
const STALL_WINDOW_MS = 60_000;

/** Service status (liveness/readiness) and the Express health/metrics server. */
export function healthModule(settings: Pick<AppConfig, 'health' | 'stream'>): ContainerModule {
  const health: HealthSettings = settings.health;
  const serverOptions = {
    healthPort: health.port,
    metricsPort: health.metricsPort,
    ...(health.host ? { host: health.host } : {}),
    ...(health.submitToken ? { submitToken: health.submitToken } : {}),
  };
  return new ContainerModule(({ bind }) => {
    bindFactory(bind, EVENT_LOOP_MONITOR, [], () => IntervalStallMonitor.start()).onDeactivation((monitor) => monitor.close());
    bindFactory(
      bind,
      SERVICE_STATUS,
      [EXECUTOR_LOOP, TASK_INBOX, EVENT_LOOP_MONITOR, CLOCK],
      (loop, inbox, eventLoop, clock) =>
        new ExecutorStatus(loop, inbox, eventLoop, clock, {
          // Liveness fails only when the loop stalls far beyond one blocking read plus the longest backoff…
          stallAfterMs: Math.max(60_000, 3 * settings.stream.blockMs + 30_000),
          // …or after the event loop itself was held longer than the threshold.
          eventLoopStallMs: health.stallThresholdMs,
          eventLoopStallWindowMs: STALL_WINDOW_MS,
        }),
    );
    if (health.submitApi) {
      bindFactory(
        bind,
        HEALTH_SERVER,
        [SERVICE_STATUS, METRICS_REGISTRY, LOGGER, SUBMIT_TASK],
        (status, registry, logger, submitTask) => new HealthServer(serverOptions, { status, registry, logger, submitTask }),
      );
    } else {
      bindFactory(bind, HEALTH_SERVER, [SERVICE_STATUS, METRICS_REGISTRY, LOGGER], (status, registry, logger) => new HealthServer(serverOptions, { status, registry, logger }));
    }
  });
}
