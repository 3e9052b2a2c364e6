import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PrometheusMetrics, TENANT_LABELS } from '../../../src/adapters/observability/prometheus-metrics';
import { sample } from '../../support/ops';

describe('PrometheusMetrics', () => {
  it('counts outcomes per task type and observes durations in seconds', async () => {
    const m = new PrometheusMetrics({ defaultMetrics: false });
    m.declareTaskTypes(['call', 'set']);
    m.taskStarted('set');
    m.taskFinished('set', 'success', 250);
    m.taskFinished('set', 'success', 2);
    m.taskFinished('call', 'failure', 1500);
    m.taskFinished('set', 'dead_letter', 0);
    const text = await m.scrape();
    assert.equal(sample(text, 'executor_tasks_total{task_type="set",outcome="success"}'), 2);
    assert.equal(sample(text, 'executor_tasks_total{task_type="call",outcome="failure"}'), 1);
    assert.equal(sample(text, 'executor_tasks_total{task_type="set",outcome="dead_letter"}'), 1);
    assert.equal(sample(text, 'executor_tasks_started_total{task_type="set"}'), 1);
    assert.equal(sample(text, 'executor_task_duration_seconds_count{task_type="set"}'), 2);
    assert.equal(sample(text, 'executor_task_duration_seconds_sum{task_type="set"}'), 0.252);
    assert.equal(sample(text, 'executor_task_duration_seconds_bucket{le="0.005",task_type="set"}'), 1);
    assert.equal(sample(text, 'executor_task_duration_seconds_count{task_type="call"}'), 1);
  });

  it('maps unknown task types to `other` so bad input cannot grow the label set', async () => {
    const m = new PrometheusMetrics({ defaultMetrics: false });
    m.declareTaskTypes(['set']);
    for (let i = 0; i < 50; i++) m.taskFinished(`bogus-${i}`, 'dead_letter', 0);
    const text = await m.scrape();
    assert.equal(sample(text, 'executor_tasks_total{task_type="other",outcome="dead_letter"}'), 50);
    assert.doesNotMatch(text, /bogus/);
  });

  it('takes its task_type label values from the declared task types only, each at 0 from the start', async () => {
    const m = new PrometheusMetrics({ defaultMetrics: false });
    m.taskFinished('set', 'success', 1);
    m.declareTaskTypes(['set', 'teleport']);
    m.taskFinished('set', 'success', 1);
    m.taskFinished('teleport', 'failure', 1);
    m.taskFinished('emit', 'failure', 1);
    const text = await m.scrape();
    assert.equal(sample(text, 'executor_tasks_total{task_type="teleport",outcome="success"}'), 0);
    assert.equal(sample(text, 'executor_tasks_total{task_type="teleport",outcome="failure"}'), 1);
    assert.equal(sample(text, 'executor_tasks_total{task_type="set",outcome="success"}'), 1, 'a type counts under its own label once declared');
    assert.equal(sample(text, 'executor_tasks_total{task_type="other",outcome="success"}'), 1, 'before the declaration it was not one');
    assert.equal(sample(text, 'executor_tasks_total{task_type="other",outcome="failure"}'), 1, 'a type without a handler is other');
    assert.doesNotMatch(text, /task_type="emit"/);
  });

  it('exposes retries, dead letters, gauges, breaker states, reclaim and cache counters', async () => {
    const m = new PrometheusMetrics({ defaultMetrics: false });
    m.retry('processing', 'set');
    m.retry('transport', 'call');
    m.retry('transport', 'call');
    m.deadLetter('UNKNOWN_TASK_TYPE');
    m.inFlight(3);
    m.concurrencyLimit(8);
    m.circuitBreakers('closed', 7);
    m.circuitBreakers('open', 2);
    m.circuitOpened();
    m.circuitOpened();
    m.pendingEntries('executor-service', 12);
    m.consumerLag('executor-service', 40);
    m.reclaimed(2);
    m.reclaimed(3);
    m.openApiCache('hit');
    m.openApiCache('miss');
    m.openApiCache('hit');
    m.protocolCall('grpc', 'success', 20);
    m.protocolCall('grpc', 'failure', 3000);
    const text = await m.scrape();
    assert.equal(sample(text, 'executor_protocol_call_duration_seconds_count{protocol="grpc",outcome="success"}'), 1);
    assert.equal(sample(text, 'executor_protocol_call_duration_seconds_sum{protocol="grpc",outcome="failure"}'), 3);
    assert.equal(sample(text, 'executor_retries_total{kind="processing"}'), 1);
    assert.equal(sample(text, 'executor_retries_total{kind="transport"}'), 2);
    assert.equal(sample(text, 'executor_retries_total{kind="workflow"}'), 0);
    assert.equal(sample(text, 'executor_dead_letters_total{reason="UNKNOWN_TASK_TYPE"}'), 1);
    assert.equal(sample(text, 'executor_tasks_in_flight'), 3);
    assert.equal(sample(text, 'executor_concurrency_limit'), 8);
    assert.equal(sample(text, 'executor_circuit_breakers{state="closed"}'), 7);
    assert.equal(sample(text, 'executor_circuit_breakers{state="half_open"}'), 0);
    assert.equal(sample(text, 'executor_circuit_breakers{state="open"}'), 2);
    assert.equal(sample(text, 'executor_circuit_breaker_opened_total'), 2);
    assert.equal(sample(text, 'executor_pending_entries{group="executor-service"}'), 12);
    assert.equal(sample(text, 'executor_consumer_lag{group="executor-service"}'), 40);
    assert.equal(sample(text, 'executor_reclaimed_entries_total'), 5);
    assert.equal(sample(text, 'executor_openapi_cache_total{result="hit"}'), 2);
    assert.equal(sample(text, 'executor_openapi_cache_total{result="miss"}'), 1);
  });

  it('keeps registries separate and includes process metrics and event-loop lag by default', async () => {
    const a = new PrometheusMetrics();
    const b = new PrometheusMetrics();
    a.declareTaskTypes(['set']);
    b.declareTaskTypes(['set']);
    a.taskFinished('set', 'success', 1);
    const text = await b.scrape();
    assert.equal(sample(text, 'executor_tasks_total{task_type="set",outcome="success"}'), 0);
    assert.match(text, /^nodejs_eventloop_lag_seconds /m);
    assert.match(text, /^process_cpu_seconds_total /m);
  });

  it('exposes per-tenant in-flight, waiting and share, read at scrape time, the busiest tenants by name and the rest as other', async () => {
    const m = new PrometheusMetrics({ defaultMetrics: false });
    const loads = Array.from({ length: TENANT_LABELS + 5 }, (_, i) => ({ tenant: `t${i}`, inFlight: i, waiting: 1, share: 0.5 }));
    m.tenantLoad(() => loads);
    const text = await m.scrape();
    const tenants = [...text.matchAll(/^executor_tenant_in_flight\{tenant="([^"]+)"\}/gm)].map((x) => x[1]);
    assert.equal(tenants.length, TENANT_LABELS + 1);
    assert.ok(tenants.includes(`t${TENANT_LABELS + 4}`));
    assert.ok(!tenants.includes('t0'));
    // The five quietest (t0..t4) together.
    assert.equal(sample(text, 'executor_tenant_in_flight{tenant="other"}'), 0 + 1 + 2 + 3 + 4);
    assert.equal(sample(text, 'executor_tenant_waiting{tenant="other"}'), 5);
    assert.equal(sample(text, 'executor_tenant_share{tenant="t24"}'), 0.5);
    // A tenant gone since the last scrape leaves no series behind.
    loads.splice(0);
    assert.doesNotMatch(await m.scrape(), /^executor_tenant_in_flight\{/m);
  });
});
