import { ContainerModule } from 'inversify';
import { OpossumCircuitBreaker } from '../../adapters/breaker/opossum-circuit-breaker';
import { bindFactory } from '../binding';
import { BreakerSettings } from '../env';
import { CIRCUIT_BREAKER, LOGGER, METRICS } from '../tokens';

/** Circuit breakers per tenant and host (opossum), at most CIRCUIT_BREAKER_MAX_CIRCUITS of them. */
export function breakerModule(breaker: BreakerSettings): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bindFactory(bind, CIRCUIT_BREAKER, [METRICS, LOGGER], (metrics, logger) => new OpossumCircuitBreaker(metrics, logger.child({ component: 'circuit-breaker' }), breaker)).onDeactivation(
      (circuits) => circuits.close(),
    );
  });
}
