import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PrometheusMetrics, RATE_LIMIT_LABELS } from '../../../src/adapters/observability/prometheus-metrics';

describe('rate-limit metrics (Prometheus)', () => {
  it('count waits with their seconds, refusals and push-backs by limit', async () => {
    const metrics = new PrometheusMetrics({ defaultMetrics: false });
    metrics.rateLimitWaited('api.example.com', 500);
    metrics.rateLimitWaited('api.example.com', 1500);
    metrics.rateLimitRefused('task');
    metrics.rateLimitPushedBack('*.stripe.com', 'retry_after');
    const text = await metrics.scrape();
    assert.match(text, /executor_call_rate_limit_wait_seconds_count\{limit="api.example.com"\} 2/);
    assert.match(text, /executor_call_rate_limit_wait_seconds_sum\{limit="api.example.com"\} 2\b/);
    assert.match(text, /executor_call_rate_limit_refusals_total\{limit="task"\} 1/);
    assert.match(text, /executor_call_rate_limit_pushbacks_total\{limit="\*.stripe.com",reason="retry_after"\} 1/);
  });

  it('keep the label values bounded', async () => {
    const metrics = new PrometheusMetrics({ defaultMetrics: false });
    for (let i = 0; i < RATE_LIMIT_LABELS + 5; i++) metrics.rateLimitRefused(`host-${i}.example.com`);
    const text = await metrics.scrape();
    const series = text.split('\n').filter((l) => l.startsWith('executor_call_rate_limit_refusals_total{'));
    assert.equal(series.length, RATE_LIMIT_LABELS + 1);
    assert.match(text, /executor_call_rate_limit_refusals_total\{limit="other"\} 5/);
  });
});
