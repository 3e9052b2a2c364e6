import { InMemoryRateLimiter } from '../../src/adapters/memory/in-memory-rate-limiter';
import { describeRateLimiterContract } from './rate-limiter.contract';

describeRateLimiterContract('memory', (clock) => {
  const limiter = new InMemoryRateLimiter(clock);
  return Promise.resolve({ limiter, replica: () => limiter, close: () => limiter.close() });
});
