import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PrometheusMetrics } from '../../../src/adapters/observability/prometheus-metrics';

describe('broker exchange metrics (Prometheus)', () => {
  it('observes exchanges by protocol, operation and outcome', async () => {
    const metrics = new PrometheusMetrics({ defaultMetrics: false });
    metrics.brokerExchange('nats', 'request', 'success', 12);
    metrics.brokerExchange('nats', 'request', 'success', 30);
    metrics.brokerExchange('amqp', 'publish', 'failure', 5);
    const text = await metrics.scrape();
    assert.match(text, /executor_broker_exchange_duration_seconds_count\{protocol="nats",operation="request",outcome="success"\} 2/);
    assert.match(text, /executor_broker_exchange_duration_seconds_count\{protocol="amqp",operation="publish",outcome="failure"\} 1/);
    assert.match(text, /executor_broker_exchange_duration_seconds_sum\{protocol="nats",operation="request",outcome="success"\} 0\.04\d*/);
  });
});
