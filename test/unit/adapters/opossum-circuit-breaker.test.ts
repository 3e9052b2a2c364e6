import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_BREAKER_OPTIONS, OpossumCircuitBreaker, OpossumCircuitBreakerOptions } from '../../../src/adapters/breaker/opossum-circuit-breaker';
import { InMemoryLogger } from '../../support/in-memory-logger';
import { InMemoryMetrics } from '../../support/in-memory-metrics';
import { PrometheusMetrics } from '../../../src/adapters/observability/prometheus-metrics';
import { CircuitScope } from '../../../src/application/ports/circuit-breaker.port';
import { Metrics } from '../../../src/application/ports/metrics.port';
import { WorkflowError } from '../../../src/domain/workflow-error';

interface Sut {
  breaker: OpossumCircuitBreaker;
  metrics: InMemoryMetrics;
  logger: InMemoryLogger;
  calls: CircuitScope[];
  /** One call answered with `status` (5xx counts as a failure). */
  call(scope: CircuitScope, status?: number): Promise<number>;
}

function makeSut(options: Partial<OpossumCircuitBreakerOptions> = {}, metrics: Metrics = new InMemoryMetrics()): Sut {
  const logger = new InMemoryLogger();
  // Long windows and reset timeouts: nothing here depends on time passing.
  const breaker = new OpossumCircuitBreaker(metrics, logger, { ...DEFAULT_BREAKER_OPTIONS, volumeThreshold: 2, errorThresholdPercentage: 50, rollingWindowMs: 60_000, resetTimeoutMs: 60_000, ...options });
  const calls: CircuitScope[] = [];
  const call = (scope: CircuitScope, status = 200): Promise<number> =>
    breaker.run(scope, () => {
      calls.push(scope);
      return Promise.resolve(status);
    }, (s) => s >= 500);
  return { breaker, metrics: metrics as InMemoryMetrics, logger, calls, call };
}

async function refusal(promise: Promise<unknown>): Promise<WorkflowError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof WorkflowError);
    return error;
  }
  assert.fail('expected the call to be refused');
}

async function open(sut: Sut, scope: CircuitScope): Promise<void> {
  for (let i = 0; i < 2; i++) await sut.call(scope, 503);
  assert.equal(sut.breaker.state(scope), 'open');
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('OpossumCircuitBreaker', () => {
  it("keeps one tenant's failures to a host from opening another tenant's circuit to it", async () => {
    const sut = makeSut();
    const a = { tenant: 'tenant-a', host: 'api.example.com:443' };
    const b = { tenant: 'tenant-b', host: 'api.example.com:443' };
    await open(sut, a);
    assert.equal((await refusal(sut.call(a))).code, 'CIRCUIT_OPEN');
    assert.equal(sut.breaker.state(b), 'closed');
    const before = sut.calls.length;
    assert.equal(await sut.call(b), 200);
    assert.equal(sut.calls.length, before + 1, "tenant B's call reached the host");
    await sut.breaker.close();
  });

  it('logs a warn line naming tenant and host when a circuit opens, and counts it', async () => {
    const sut = makeSut();
    await open(sut, { tenant: 'acme', host: 'flaky.example.com:443' });
    const warn = sut.logger.records.find((r) => r.level === 'warn');
    assert.ok(warn);
    assert.deepEqual([warn.fields['tenant'], warn.fields['host']], ['acme', 'flaky.example.com:443']);
    assert.equal(sut.metrics.count('circuit_breaker_opened'), 1);
    assert.deepEqual([sut.metrics.gauge('circuit_breakers', 'closed'), sut.metrics.gauge('circuit_breakers', 'open')], [0, 1]);
    await sut.breaker.close();
  });

  it('holds at most maxCircuits circuits, dropping the least recently used closed one and shutting it down', async () => {
    const sut = makeSut({ maxCircuits: 10 });
    const before = timers();
    for (let i = 0; i < 1000; i++) await sut.call({ tenant: 'acme', host: `host-${i}.example.com:443` });
    assert.equal(sut.breaker.size, 10);
    assert.equal(sut.metrics.gauge('circuit_breakers', 'closed'), 10);
    assert.ok(timers() - before <= 10 * 3, `timers of dropped circuits leak: ${timers() - before} more than before`);
    // A recently used circuit is kept with its statistics: its second failure opens it.
    const recent = { tenant: 'acme', host: 'host-990.example.com:443' };
    await sut.call(recent, 503);
    for (let i = 0; i < 9; i++) await sut.call({ tenant: 'acme', host: `fresh-${i}.example.com:443` });
    assert.equal(sut.breaker.size, 10);
    await sut.call(recent, 503);
    assert.equal(sut.breaker.state(recent), 'open');
    await sut.breaker.close();
    assert.ok(timers() <= before, 'close stops every timer');
    assert.equal(sut.metrics.gauge('circuit_breakers', 'closed'), 0);
  });

  it('never drops an open circuit while a closed one can go; when all are open, drops the oldest', async () => {
    const sut = makeSut({ maxCircuits: 3 });
    const down = { tenant: 'acme', host: 'down.example.com:443' };
    await open(sut, down);
    for (let i = 0; i < 20; i++) await sut.call({ tenant: 'acme', host: `up-${i}.example.com:443` });
    assert.equal(sut.breaker.state(down), 'open', 'the open circuit survived 20 newer hosts');
    assert.equal((await refusal(sut.call(down))).code, 'CIRCUIT_OPEN');

    const all = makeSut({ maxCircuits: 2 });
    const first = { tenant: 'acme', host: 'first.example.com:443' };
    const second = { tenant: 'acme', host: 'second.example.com:443' };
    await open(all, first);
    await open(all, second);
    await all.call({ tenant: 'acme', host: 'third.example.com:443' });
    assert.equal(all.breaker.size, 2);
    assert.equal(all.breaker.state(first), 'closed', 'the oldest open circuit was dropped');
    assert.equal(all.breaker.state(second), 'open');
    await sut.breaker.close();
    await all.breaker.close();
  });

  it('when all circuits are open, a tenant that opens more evicts its own, not another tenant\'s', async () => {
    const sut = makeSut({ maxCircuits: 3 });
    const victim = { tenant: 'quiet', host: 'down.example.com:443' };
    await open(sut, victim);
    for (let i = 0; i < 5; i++) await open(sut, { tenant: 'noisy', host: `down-${i}.example.com:443` });
    assert.equal(sut.breaker.size, 3);
    assert.equal(sut.breaker.state(victim), 'open', 'the quiet tenant keeps its open circuit');
    await sut.breaker.close();
  });

  it('gives a bounded number of metric series for 1,000 hosts', async () => {
    const metrics = new PrometheusMetrics({ defaultMetrics: false });
    const sut = makeSut({ maxCircuits: DEFAULT_BREAKER_OPTIONS.maxCircuits }, metrics);
    for (let i = 0; i < 1000; i++) await sut.call({ tenant: `tenant-${i % 7}`, host: `host-${i}.example.com:443` });
    await open(sut, { tenant: 'tenant-0', host: 'host-0.example.com:443' });
    const series = (await metrics.scrape()).split('\n').filter((line) => /^executor_circuit_breaker/.test(line));
    assert.ok(series.length <= 4, `${series.length} series:\n${series.slice(0, 10).join('\n')}`);
    assert.ok(series.includes('executor_circuit_breakers{state="closed"} 999'), series.join('\n'));
    assert.ok(series.includes('executor_circuit_breakers{state="open"} 1'));
    assert.ok(series.includes('executor_circuit_breaker_opened_total 1'));
    await sut.breaker.close();
  });
});
