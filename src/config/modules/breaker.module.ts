import { ContainerModule } from 'inversify';
import { CircuitBreaker } from '../../application/ports/circuit-breaker.port';
import { Logger } from '../../application/ports/logger.port';
import { Metrics } from '../../application/ports/metrics.port';
import { TOKENS } from '../../application/ports/tokens';
import { OpossumCircuitBreaker } from '../../adapters/breaker/opossum-circuit-breaker';
import { AppConfig } from '../env';

/** Circuit breakers per tenant and host (opossum), at most CIRCUIT_BREAKER_MAX_CIRCUITS of them. */
export const breakerModule = new ContainerModule(({ bind }) => {
  bind<CircuitBreaker>(TOKENS.CircuitBreaker)
    .toResolvedValue(
      (metrics: Metrics, logger: Logger, config: AppConfig) => new OpossumCircuitBreaker(metrics, logger.child({ component: 'circuit-breaker' }), config.breaker),
      [TOKENS.Metrics, TOKENS.Logger, TOKENS.Config],
    )
    .onDeactivation((breaker: CircuitBreaker) => breaker.close());
});
