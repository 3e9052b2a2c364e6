import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PrometheusMetrics } from '../../../src/adapters/observability/prometheus-metrics';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('executor_openapi_document_cache_total', () => {
  it('counts hits, misses, revalidations and stale serves by backend, other backends as `other`', async () => {
    const m = new PrometheusMetrics({ defaultMetrics: false });
    m.documentCache('hit', 'redis');
    m.documentCache('hit', 'redis');
    m.documentCache('revalidated', 'nats');
    m.documentCache('stale', 'memory');
    m.documentCache('miss', 'process');
    m.documentCache('miss', 'https://a.test/?key=secret');
    const text = await m.scrape();
    assert.equal(sample(text, 'executor_openapi_document_cache_total{result="hit",backend="redis"}'), 2);
    assert.equal(sample(text, 'executor_openapi_document_cache_total{result="revalidated",backend="nats"}'), 1);
    assert.equal(sample(text, 'executor_openapi_document_cache_total{result="stale",backend="memory"}'), 1);
    assert.equal(sample(text, 'executor_openapi_document_cache_total{result="miss",backend="process"}'), 1);
    assert.equal(sample(text, 'executor_openapi_document_cache_total{result="miss",backend="other"}'), 1);
    assert.ok(!text.includes('secret'));
  });
});
