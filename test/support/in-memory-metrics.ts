import { BreakerState, DocumentCacheResult, Metrics, RetryKind, TaskOutcomeLabel, TenantLoad } from '../../src/application/ports/metrics.port';

/** Metrics kept as plain counters, for tests and the embedded mode without Prometheus. */
export class InMemoryMetrics implements Metrics {
  readonly counters = new Map<string, number>();
  readonly gauges = new Map<string, number>();
  readonly durations: { taskType: string; durationMs: number }[] = [];
  maxInFlight = 0;
  /** What declareTaskTypes was last given. */
  declaredTaskTypes: readonly string[] = [];

  count(name: string, ...labels: string[]): number {
    return this.counters.get([name, ...labels].join('|')) ?? 0;
  }

  gauge(name: string, ...labels: string[]): number | undefined {
    return this.gauges.get([name, ...labels].join('|'));
  }

  declareTaskTypes(taskTypes: readonly string[]): void {
    this.declaredTaskTypes = [...taskTypes];
  }
  taskStarted(taskType: string): void {
    this.inc('tasks_started', taskType);
  }
  taskFinished(taskType: string, outcome: TaskOutcomeLabel, durationMs: number): void {
    this.inc('tasks', taskType, outcome);
    if (outcome === 'success' || outcome === 'failure') this.durations.push({ taskType, durationMs });
  }
  retry(kind: RetryKind, taskType: string): void {
    this.inc('retries', kind, taskType);
  }
  deadLetter(reasonCode: string): void {
    this.inc('dead_letters', reasonCode);
  }
  inFlight(count: number): void {
    this.set('in_flight', count);
    this.maxInFlight = Math.max(this.maxInFlight, count);
  }
  concurrencyLimit(limit: number): void {
    this.set('concurrency_limit', limit);
  }
  circuitBreakers(state: BreakerState, count: number): void {
    this.set('circuit_breakers', count, state);
  }
  circuitOpened(): void {
    this.inc('circuit_breaker_opened');
  }
  reclaimed(count: number): void {
    this.inc('reclaimed', count);
  }
  pendingEntries(group: string, count: number): void {
    this.set('pending', count, group);
  }
  consumerLag(group: string, count: number): void {
    this.set('lag', count, group);
  }
  callFinished(protocol: string, outcome: 'success' | 'failure'): void {
    this.inc('calls', protocol, outcome);
  }
  openApiCache(result: 'hit' | 'miss'): void {
    this.inc('openapi_cache', result);
  }
  documentCache(result: DocumentCacheResult, backend: string): void {
    this.inc('document_cache', result, backend);
  }
  brokerExchange(protocol: string, operation: 'publish' | 'request', outcome: 'success' | 'failure'): void {
    this.inc('broker_exchange', protocol, operation, outcome);
  }
  /** Each rate-limit wait, in ms, by limit. */
  readonly rateLimitWaits: { limit: string; waitMs: number }[] = [];
  rateLimitWaited(limit: string, waitMs: number): void {
    this.inc('rate_limit_waits', limit);
    this.rateLimitWaits.push({ limit, waitMs });
  }
  rateLimitRefused(limit: string): void {
    this.inc('rate_limit_refusals', limit);
  }
  rateLimitPushedBack(limit: string, reason: 'retry_after' | 'backoff'): void {
    this.inc('rate_limit_pushbacks', limit, reason);
  }
  private tenantSource: () => readonly TenantLoad[] = () => [];
  tenantLoad(source: () => readonly TenantLoad[]): void {
    this.tenantSource = source;
  }
  /** The per-tenant load now (what a scrape would read). */
  tenantLoads(): readonly TenantLoad[] {
    return this.tenantSource();
  }

  private inc(name: string, ...labelsAndMaybeCount: (string | number)[]): void {
    const last = labelsAndMaybeCount[labelsAndMaybeCount.length - 1];
    const by = typeof last === 'number' ? last : 1;
    const labels = labelsAndMaybeCount.filter((l): l is string => typeof l === 'string');
    const key = [name, ...labels].join('|');
    this.counters.set(key, (this.counters.get(key) ?? 0) + by);
  }

  private set(name: string, value: number, ...labels: string[]): void {
    this.gauges.set([name, ...labels].join('|'), value);
  }
}
