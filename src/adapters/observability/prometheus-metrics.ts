import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { BreakerState, DocumentCacheResult, Metrics, RetryKind, TaskOutcomeLabel, TenantLoad } from '../../application/ports/metrics.port';

/** The label value of every task type that was not declared (bad input, or no type at all). */
const OTHER = 'other';
const OUTCOMES: TaskOutcomeLabel[] = ['success', 'failure', 'dead_letter', 'duplicate'];

/** Tenants with a label value of their own in the per-tenant gauges (the busiest); the rest are summed as `other`. */
export const TENANT_LABELS = 20;

/** Seconds; task durations range from sub-millisecond `set` tasks to minutes-long `wait` tasks. */
/** The protocols a call task may use; anything else is counted as `other` (labels stay bounded). */
const CALL_PROTOCOLS: ReadonlySet<string> = new Set(['http', 'openapi', 'graphql', 'grpc', 'asyncapi']);
/** Distinct `limit` label values kept (the configured patterns and `task`); any beyond are counted as `other`. */
export const RATE_LIMIT_LABELS = 100;
/** Seconds a call waited for a rate-limit slot: from a few milliseconds to the longest task deadlines. */
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
/** The shared document cache backends; anything else is counted as `other`. */
const DOCUMENT_CACHE_BACKENDS: ReadonlySet<string> = new Set(['redis', 'nats', 'memory', 'process']);
const DOCUMENT_CACHE_RESULTS: readonly DocumentCacheResult[] = ['hit', 'miss', 'revalidated', 'stale'];
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

interface TaskTypeChildren {
  started: Counter.Internal;
  finished: Record<TaskOutcomeLabel, Counter.Internal>;
  duration: Histogram.Internal<'task_type'>;
}

export interface PrometheusMetricsOptions {
  /** Also collect process metrics and event-loop lag (default true). */
  defaultMetrics?: boolean;
  /** Metric name prefix for the default process metrics (default none: `process_*`, `nodejs_*`). */
  defaultMetricsPrefix?: string;
  /** The registry to record on (default a new one); the health server serves it at /metrics. */
  registry?: Registry;
}

/**
 * prom-client metrics on a registry of their own (never the global one, so several
 * containers can live in one process). Label children are created once per task type, so
 * recording a task costs a map lookup and a few additions.
 */
export class PrometheusMetrics implements Metrics {
  readonly registry: Registry;
  private readonly children = new Map<string, TaskTypeChildren>();
  /** Task types with a label value of their own (declareTaskTypes). */
  private taskTypes: ReadonlySet<string> = new Set();

  private readonly tasksStarted: Counter<'task_type'>;
  private readonly tasks: Counter<'task_type' | 'outcome'>;
  private readonly duration: Histogram<'task_type'>;
  private readonly retries: Counter<'kind'>;
  private readonly deadLetters: Counter<'reason'>;
  private readonly inFlightGauge: Gauge;
  private readonly limitGauge: Gauge;
  private readonly circuits: Gauge<'state'>;
  private readonly circuitsOpened: Counter;
  private readonly pending: Gauge<'group'>;
  private readonly lag: Gauge<'group'>;
  private readonly reclaimedCounter: Counter;
  private readonly openApi: Counter<'result'>;
  private readonly documentCacheCounter: Counter<'result' | 'backend'>;
  private readonly calls: Histogram<'protocol' | 'outcome'>;
  private readonly brokerExchanges: Histogram<'protocol' | 'operation' | 'outcome'>;
  private readonly rateLimitWaits: Histogram<'limit'>;
  private readonly rateLimitRefusals: Counter<'limit'>;
  private readonly rateLimitPushbacks: Counter<'limit' | 'reason'>;
  private readonly rateLimitLabels = new Set<string>();
  private tenantSource: () => readonly TenantLoad[] = () => [];
  private readonly retryChildren: Record<RetryKind, Counter.Internal>;
  private readonly openApiChildren: Record<'hit' | 'miss', Counter.Internal>;

  constructor(options: PrometheusMetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    const registers = [this.registry];
    this.tasksStarted = new Counter({ name: 'executor_tasks_started_total', help: 'Tasks whose handler started, by task type', labelNames: ['task_type'], registers });
    this.tasks = new Counter({ name: 'executor_tasks_total', help: 'Tasks that reached an outcome (success, failure, dead_letter, duplicate), by task type', labelNames: ['task_type', 'outcome'], registers });
    this.duration = new Histogram({ name: 'executor_task_duration_seconds', help: 'Handler run time of tasks that completed (success or failure), by task type', labelNames: ['task_type'], buckets: DURATION_BUCKETS, registers });
    this.retries = new Counter({ name: 'executor_retries_total', help: 'Retries by lane: processing (stream/publication), transport (network, no response), workflow (try/catch.retry)', labelNames: ['kind'], registers });
    this.deadLetters = new Counter({ name: 'executor_dead_letters_total', help: 'Entries written as io.flunq.task.dlq, by reason code', labelNames: ['reason'], registers });
    this.inFlightGauge = new Gauge({ name: 'executor_tasks_in_flight', help: 'Tasks running now', registers });
    this.limitGauge = new Gauge({ name: 'executor_concurrency_limit', help: 'EXECUTOR_CONCURRENCY: tasks allowed to run at once', registers });
    this.circuits = new Gauge({ name: 'executor_circuit_breakers', help: 'Circuits (one per tenant and target host) held now, by state: closed, half_open, open', labelNames: ['state'], registers });
    this.circuitsOpened = new Counter({ name: 'executor_circuit_breaker_opened_total', help: 'Circuits opened after repeated failures of one tenant\'s calls to one host', registers });
    this.pending = new Gauge({ name: 'executor_pending_entries', help: 'Entries delivered to the consumer group and not yet acknowledged', labelNames: ['group'], registers });
    this.lag = new Gauge({ name: 'executor_consumer_lag', help: 'Entries not yet delivered to the consumer group', labelNames: ['group'], registers });
    this.reclaimedCounter = new Counter({ name: 'executor_reclaimed_entries_total', help: 'Pending entries claimed from idle consumers (XAUTOCLAIM)', registers });
    this.calls = new Histogram({ name: 'executor_call_duration_seconds', help: 'Call tasks by protocol (http, openapi, graphql, grpc, asyncapi) and outcome (success, failure): time from the parsed parameters to the output', labelNames: ['protocol', 'outcome'], buckets: DURATION_BUCKETS, registers });
    this.openApi = new Counter({ name: 'executor_openapi_cache_total', help: 'OpenAPI document cache lookups, by result (hit, miss)', labelNames: ['result'], registers });
    this.documentCacheCounter = new Counter({
      name: 'executor_openapi_document_cache_total',
      help: 'OpenAPI documents renewed once their in-process copy was missing or stale, by result (hit: fresh in the shared cache; miss: fetched in full; revalidated: 304 from the origin; stale: origin unreachable, stale copy served) and shared cache backend (redis, nats, memory; process: none)',
      labelNames: ['result', 'backend'],
      registers,
    });
    this.brokerExchanges = new Histogram({
      name: 'executor_broker_exchange_duration_seconds',
      help: 'Message exchanges of call: asyncapi tasks (publish, or request and reply) by protocol and outcome (success, failure), connecting included',
      labelNames: ['protocol', 'operation', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });

    this.rateLimitWaits = new Histogram({
      name: 'executor_call_rate_limit_wait_seconds',
      help: 'Outbound calls that waited for a rate-limit slot and how long, by limit (the CALL_RATE_LIMITS pattern, or task for a task\'s own rate_limit)',
      labelNames: ['limit'],
      buckets: WAIT_BUCKETS,
      registers,
    });
    this.rateLimitRefusals = new Counter({ name: 'executor_call_rate_limit_refusals_total', help: 'Outbound calls not sent because no rate-limit slot came before the deadline or the longest wait (RATE_LIMITED), by limit', labelNames: ['limit'], registers });
    this.rateLimitPushbacks = new Counter({ name: 'executor_call_rate_limit_pushbacks_total', help: 'Rate-limit buckets pushed back by a downstream\'s 429 or 503, by limit and reason (retry_after, backoff)', labelNames: ['limit', 'reason'], registers });

    const readLoads = (): readonly TenantLoad[] => this.tenantSource();
    const tenantGauge = (name: string, help: string, pick: (load: TenantLoad) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['tenant'],
        registers,
        collect(): void {
          this.reset();
          for (const load of busiestTenants(readLoads(), TENANT_LABELS)) this.labels(load.tenant).set(pick(load));
        },
      });
    };
    tenantGauge('executor_tenant_in_flight', `Tasks running now, by tenant (the ${TENANT_LABELS} busiest by name, the rest as other)`, (l) => l.inFlight);
    tenantGauge('executor_tenant_waiting', 'Tasks read and waiting for a slot, by tenant (fair dispatch)', (l) => l.waiting);
    tenantGauge('executor_tenant_share', 'Fair share of the concurrency slots now, by tenant (weights and caps applied among active tenants)', (l) => l.share);

    this.retryChildren = { processing: this.retries.labels('processing'), transport: this.retries.labels('transport'), workflow: this.retries.labels('workflow') };
    this.openApiChildren = { hit: this.openApi.labels('hit'), miss: this.openApi.labels('miss') };
    // Series that exist from the start, so rate() and alerts see a 0 rather than no data.
    for (const kind of ['processing', 'transport', 'workflow'] as const) this.retryChildren[kind].inc(0);
    for (const result of ['hit', 'miss'] as const) this.openApiChildren[result].inc(0);
    this.limitGauge.set(0);
    this.inFlightGauge.set(0);
    for (const state of ['closed', 'half_open', 'open'] as const) this.circuits.labels(state).set(0);
    this.circuitsOpened.inc(0);

    if (options.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry, prefix: options.defaultMetricsPrefix ?? '', eventLoopMonitoringPrecision: 10 });
    }
  }

  /** The exposition text (what `/metrics` serves). */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  declareTaskTypes(taskTypes: readonly string[]): void {
    this.taskTypes = new Set(taskTypes.filter((type) => type !== OTHER));
    // Types seen before the declaration may have been cached as `other`.
    this.children.clear();
    for (const type of this.taskTypes) for (const outcome of ['success', 'failure'] as const) this.childrenFor(type).finished[outcome].inc(0);
  }

  taskStarted(taskType: string): void {
    this.childrenFor(taskType).started.inc();
  }

  taskFinished(taskType: string, outcome: TaskOutcomeLabel, durationMs: number): void {
    const c = this.childrenFor(taskType);
    c.finished[outcome].inc();
    if (outcome === 'success' || outcome === 'failure') c.duration.observe(durationMs / 1000);
  }

  retry(kind: RetryKind, _taskType: string): void {
    this.retryChildren[kind].inc();
  }

  deadLetter(reasonCode: string): void {
    this.deadLetters.labels(reasonCode || 'UNKNOWN').inc();
  }

  inFlight(count: number): void {
    this.inFlightGauge.set(count);
  }

  concurrencyLimit(limit: number): void {
    this.limitGauge.set(limit);
  }

  circuitBreakers(state: BreakerState, count: number): void {
    this.circuits.labels(state).set(count);
  }

  circuitOpened(): void {
    this.circuitsOpened.inc();
  }

  reclaimed(count: number): void {
    this.reclaimedCounter.inc(count);
  }

  pendingEntries(group: string, count: number): void {
    this.pending.labels(group).set(count);
  }

  consumerLag(group: string, count: number): void {
    this.lag.labels(group).set(count);
  }

  callFinished(protocol: string, outcome: 'success' | 'failure', durationMs: number): void {
    this.calls.labels(CALL_PROTOCOLS.has(protocol) ? protocol : 'other', outcome).observe(durationMs / 1000);
  }

  openApiCache(result: 'hit' | 'miss'): void {
    this.openApiChildren[result].inc();
  }

  documentCache(result: DocumentCacheResult, backend: string): void {
    this.documentCacheCounter.labels(DOCUMENT_CACHE_RESULTS.includes(result) ? result : 'other', DOCUMENT_CACHE_BACKENDS.has(backend) ? backend : 'other').inc();
  }

  brokerExchange(protocol: string, operation: 'publish' | 'request', outcome: 'success' | 'failure', durationMs: number): void {
    this.brokerExchanges.labels(protocol, operation, outcome).observe(durationMs / 1000);
  }

  tenantLoad(source: () => readonly TenantLoad[]): void {
    this.tenantSource = source;
  }

  rateLimitWaited(limit: string, waitMs: number): void {
    this.rateLimitWaits.labels(this.limitLabel(limit)).observe(waitMs / 1000);
  }

  rateLimitRefused(limit: string): void {
    this.rateLimitRefusals.labels(this.limitLabel(limit)).inc();
  }

  rateLimitPushedBack(limit: string, reason: 'retry_after' | 'backoff'): void {
    this.rateLimitPushbacks.labels(this.limitLabel(limit), reason).inc();
  }

  /** The label of a limit: its own while fewer than RATE_LIMIT_LABELS were seen, else `other`. */
  private limitLabel(limit: string): string {
    if (this.rateLimitLabels.has(limit)) return limit;
    if (this.rateLimitLabels.size >= RATE_LIMIT_LABELS) return OTHER;
    this.rateLimitLabels.add(limit);
    return limit;
  }

  private childrenFor(taskType: string): TaskTypeChildren {
    const cached = this.children.get(taskType);
    if (cached) return cached;
    const label = this.taskTypes.has(taskType) ? taskType : OTHER;
    let c = this.children.get(label);
    if (!c) {
      const finished = {} as Record<TaskOutcomeLabel, Counter.Internal>;
      for (const outcome of OUTCOMES) finished[outcome] = this.tasks.labels(label, outcome);
      c = { started: this.tasksStarted.labels(label), finished, duration: this.duration.labels(label) };
      this.children.set(label, c);
    }
    // Unknown types share the `other` children; remember only a bounded number of them.
    if (label === taskType || this.children.size < 256) this.children.set(taskType, c);
    return c;
  }
}

/** The `top` tenants with most tasks held (running, then waiting), and the rest summed as `other`. */
export function busiestTenants(loads: readonly TenantLoad[], top: number): TenantLoad[] {
  if (loads.length <= top) return [...loads];
  const sorted = [...loads].sort((a, b) => b.inFlight + b.waiting - (a.inFlight + a.waiting) || b.inFlight - a.inFlight || (a.tenant < b.tenant ? -1 : 1));
  const out = sorted.slice(0, top);
  const other: TenantLoad = { tenant: OTHER, inFlight: 0, waiting: 0, share: 0 };
  for (const load of sorted.slice(top)) {
    other.inFlight += load.inFlight;
    other.waiting += load.waiting;
    other.share += load.share;
  }
  out.push(other);
  return out;
}
