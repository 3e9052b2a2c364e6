import { ContainerModule } from 'inversify';
import { CircuitBreaker } from '../../application/ports/circuit-breaker.port';
import { Metrics } from '../../application/ports/metrics.port';
import { TOKENS } from '../../application/ports/tokens';
import { OpossumCircuitBreaker } from '../../adapters/breaker/opossum-circuit-breaker';
import { AppConfig } from '../env';

/** Per-host circuit breakers (opossum). */
export const breakerModule = new ContainerModule(({ bind }) => {
  bind<CircuitBreaker>(TOKENS.CircuitBreaker)
    .toResolvedValue((metrics: Metrics, config: AppConfig) => new OpossumCircuitBreaker(metrics, config.circuitBreaker), [TOKENS.Metrics, TOKENS.Config])
    .onDeactivation((breaker: CircuitBreaker) => breaker.close());
});
