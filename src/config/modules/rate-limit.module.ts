import { ContainerModule } from 'inversify';
import { OutboundCalls } from '../../application/handlers/call/outbound-calls';
import { RateLimiter } from '../../application/ports/rate-limiter.port';
import { InMemoryRateLimiter } from '../../adapters/memory/in-memory-rate-limiter';
import { NatsRateLimiter } from '../../adapters/nats/nats-rate-limiter';
import { RedisRateLimiter } from '../../adapters/redis/redis-rate-limiter';
import { bindFactory } from '../binding';
import { AppConfig } from '../env';
import { ACTIVE_TRACE, CLOCK, LOGGER, METRICS, OUTBOUND_CALLS, RATE_LIMITER } from '../tokens';

/** The backend CALL_RATE_LIMIT_BACKEND names; `auto` follows the stream (the in-process one: memory). */
export function rateLimitBackend(config: Pick<AppConfig, 'rateLimits' | 'stream'>): 'memory' | 'redis' | 'nats' {
  const { backend } = config.rateLimits;
  return backend === 'auto' ? config.stream.type : backend;
}

/**
 * Outbound calls' rate limits and audit log: the buckets on the chosen backend (Redis and NATS
 * connect on first use, so without limits no connection is opened) and the gate the call handler
 * sends every call through.
 */
export function rateLimitModule(config: Pick<AppConfig, 'rateLimits' | 'callAudit' | 'stream' | 'redis' | 'nats'>): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bindFactory(bind, RATE_LIMITER, [CLOCK, LOGGER], (clock, logger): RateLimiter => {
      const backend = rateLimitBackend(config);
      if (backend === 'redis') return new RedisRateLimiter({ connection: config.redis }, clock, logger.child({ component: 'rate-limits' }));
      if (backend === 'nats') return new NatsRateLimiter({ connection: { url: config.nats.url, credsFile: config.nats.credsFile } }, clock);
      return new InMemoryRateLimiter(clock);
    }).onDeactivation((limiter) => limiter.close());
    bindFactory(bind, OUTBOUND_CALLS, [RATE_LIMITER, CLOCK, METRICS, ACTIVE_TRACE], (limiter, clock, metrics, trace) => {
      const { rules, maxWaitMs, maxPenaltyMs, backoffMs } = config.rateLimits;
      return new OutboundCalls(limiter, clock, { limits: { rules, maxWaitMs, maxPenaltyMs, backoffMs }, audit: config.callAudit }, metrics, () => trace.traceId());
    });
  });
}
