/** The settings `loadConfig` reads, grouped by the part of the executor that uses them. */
import { SecurityRequirementsMode } from '../application/handlers/call/document-security';
import { OperatorCredential } from '../application/handlers/call/operator-credentials';
import { TenantShareTable } from '../domain/fair-share';
import { HostRateRule } from '../domain/rate-limit';

/** Where task requests are read and outcomes written (EVENT_STREAM_TYPE, EXECUTOR_STREAM*, reclaiming, idempotency markers). */
export interface StreamSettings {
  /** `redis` or `nats` (production) or `memory` (the embedded in-process stream). */
  type: 'redis' | 'nats' | 'memory';
  /** Consumer group shared by all replicas. */
  group: string;
  /** This replica's consumer name (`executor-$HOSTNAME`). */
  consumer: string;
  /** Fixed streams to read; empty: discover them by `pattern`. */
  streams: string[];
  pattern: string;
  /** Most entries read at once. */
  batch: number;
  /** Longest wait of one read, in ms. */
  blockMs: number;
  /** Most streams named in one read. */
  streamsPerRead: number;
  reclaimEnabled: boolean;
  /** An entry pending this long without a keep-alive is claimed (ms). */
  reclaimIdleMs: number;
  reclaimIntervalMs: number;
  keyspaceNotifications: boolean;
  rescanIntervalMs: number;
  /** How long the per-task idempotency marker is kept (ms; 0: for ever). */
  settledTtlMs: number;
}

export interface RedisSettings {
  url: string;
  /** Overrides a password in `url`. */
  password: string | undefined;
  /** Seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES); empty: the single Redis at `url`. */
  clusterNodes: readonly { host: string; port: number }[];
  /** Where a task's lease and idempotency marker live (REDIS_TASK_KEYS). */
  taskKeys: 'split' | 'transition' | 'single';
}

/** NATS JetStream (EVENT_STREAM_TYPE=nats). */
export interface NatsSettings {
  /** Server URL(s), credentials possibly inside. */
  url: string;
  /** Credentials file path; undefined: none. */
  credsFile: string | undefined;
  subjectPrefix: string;
  /** The JetStream stream of the workflow events. */
  stream: string;
}

/** The loop and the tasks it runs. */
export interface ExecutorSettings {
  /** Tasks run at once. */
  concurrency: number;
  /** Deliveries of one entry before it is dead-lettered. */
  maxDeliveries: number;
  /** How long in-flight tasks may run on shutdown (ms). */
  shutdownTimeoutMs: number;
  /** Deadline of a task whose request names none (ms). */
  taskTimeoutMs: number;
  fair: FairDispatchConfig;
}

/** Fair dispatch across tenants (EXECUTOR_FAIR_DISPATCH, _TENANT_SHARES, _WORKFLOW_CAP, _READ_AHEAD, _FAIR_RESERVE). */
export interface FairDispatchConfig {
  enabled: boolean;
  shares: TenantShareTable;
  workflowCap: number | undefined;
  /** Most tasks read and waiting for a slot. */
  readAhead: number;
  /** Slots a tenant above its share leaves free for recently active tenants. */
  reserve: number;
}

/** Processing retries (publication or stream failures), not workflow retries. */
export interface RetrySettings {
  maxAttempts: number;
  /** First delay in ms, doubling per attempt. */
  baseDelayMs: number;
}

/** Bounds on untrusted input. */
export interface LimitSettings {
  /** Largest request entry accepted, in bytes (field names and values). */
  maxEntryBytes: number;
  /** Deepest nesting accepted in task data, responses and expression results. */
  maxJsonDepth: number;
}

/** The health, metrics and submit server. */
export interface HealthSettings {
  port: number;
  /** Serves /metrics on its own server when it differs from `port`. */
  metricsPort: number;
  /** Listen address (undefined: all interfaces; 127.0.0.1 by default with the submit API). */
  host: string | undefined;
  /** `POST /tasks` (embedded mode only). */
  submitApi: boolean;
  /** Bearer token for POST /tasks (undefined: none; then the submit API binds to loopback only). */
  submitToken: string | undefined;
  /** An event-loop stall longer than this fails liveness (ms). */
  stallThresholdMs: number;
  /** The web console at /console (CONSOLE_ENABLED; `auto`: embedded mode only). */
  console: boolean;
  /** CONSOLE_TOKEN (undefined: loopback reads only, no replays). */
  consoleToken: string | undefined;
}

/** Outbound HTTP (call tasks and OpenAPI documents). */
export interface HttpSettings {
  client: 'undici' | 'axios';
  maxResponseBytes: number;
  maxSocketsPerHost: number;
  transportRetries: number;
  denyPrivateNetworks: boolean;
}

/** Call tasks. */
export interface CallSettings {
  /** Send Idempotency-Key headers on non-idempotent calls. */
  idempotencyKeys: boolean;
  /** Which side of OpenAPI calls is checked against the document by default (CALL_VALIDATE). */
  validate: 'none' | 'request' | 'response' | 'both';
  /** Largest request body built from files and bytes, in bytes (CALL_MAX_REQUEST_BYTES). */
  maxRequestBytes: number;
  /**
   * The operator's credentials for OpenAPI security schemes, secrets resolved (CALL_CREDENTIALS_FILE);
   * empty when unset. Logged as `***` (its name is a sensitive one).
   */
  credentials: readonly OperatorCredential[];
  /** When operations' security requirements are applied to calls without authentication (CALL_SECURITY_REQUIREMENTS). */
  securityRequirements: SecurityRequirementsMode;
}

export interface OpenApiSettings {
  cacheTtlMs: number;
  requestTimeoutMs: number;
  /** Most worker threads holding documents, one tenant's each (OPENAPI_WORKERS). */
  workers: number;
  /** Documents kept in the backend as well, shared by replicas and restarts (OPENAPI_CACHE_SHARED). */
  sharedCache: boolean;
  /** How long past the TTL a document may be served while its origin is down, ms (OPENAPI_CACHE_MAX_STALE). */
  maxStaleMs: number;
}

/** Circuit breakers per tenant and host. */
export interface BreakerSettings {
  enabled: boolean;
  volumeThreshold: number;
  errorThresholdPercentage: number;
  rollingWindowMs: number;
  resetTimeoutMs: number;
  maxCircuits: number;
}

/** Runtime expressions: time limit per batch (ms), most worker threads, heap limit per worker (MB). */
export interface ExpressionSettings {
  timeoutMs: number;
  maxWorkers: number;
  maxMemoryMb: number;
}

export interface LogSettings {
  level: 'debug' | 'info' | 'warn' | 'error';
  format: 'json' | 'pretty';
}

/** OpenTelemetry traces, by the standard OTEL_ variables. */
export interface TracingSettings {
  exporter: 'none' | 'otlp' | 'console';
  /** The full URL spans are posted to (undefined: the exporter's default). */
  endpoint: string | undefined;
  protocol: 'http/protobuf' | 'http/json';
  serviceName: string;
  sampler: 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';
  samplerRatio: number;
  /**
   * The web console keeps the spans of the last traces (CONSOLE_TRACES): tasks are traced in
   * process even when nothing is exported, so a trace can be followed in the console.
   */
  record: boolean;
}

/** Every setting, grouped by the part of the executor that reads it. */
export interface AppConfig {
  stream: StreamSettings;
  redis: RedisSettings;
  nats: NatsSettings;
  executor: ExecutorSettings;
  retry: RetrySettings;
  limits: LimitSettings;
  health: HealthSettings;
  http: HttpSettings;
  call: CallSettings;
  openApi: OpenApiSettings;
  breaker: BreakerSettings;
  expressions: ExpressionSettings;
  log: LogSettings;
  tracing: TracingSettings;
  grpc: GrpcSettings;
  asyncApi: AsyncApiSettings;
  rateLimits: RateLimitSettings;
  callAudit: CallAuditConfig;
}

/** Rate limits of outbound calls (CALL_RATE_LIMITS, CALL_RATE_LIMIT_*; docs/call-rate-limits.md). */
export interface RateLimitSettings {
  /** Where the buckets are shared: `auto` is the stream backend's (memory in embedded mode). */
  backend: 'auto' | 'memory' | 'redis' | 'nats';
  rules: HostRateRule[];
  /** Longest wait for a slot, ms; undefined: the task's deadline alone. */
  maxWaitMs: number | undefined;
  /** Longest push-back a `Retry-After` may cause, ms. */
  maxPenaltyMs: number;
  /** Push-back after a 429 without `Retry-After`, ms. */
  backoffMs: number;
}

/** The outbound-call audit log (CALL_AUDIT_LOG, CALL_AUDIT_BODIES, CALL_AUDIT_BODY_BYTES). */
export interface CallAuditConfig {
  enabled: boolean;
  bodies: boolean;
  maxBodyBytes: number;
}

/** `call: grpc` tasks (GRPC_PROTO_DIR, GRPC_MAX_MESSAGES, GRPC_MAX_PROTO_BYTES, GRPC_CA_FILE, GRPC_MAX_CHANNELS_PER_TENANT). */
export interface GrpcSettings {
  /** Where `.proto` documents may be read by path; undefined: by http(s) URL only. */
  protoDir: string | undefined;
  /** Most messages collected from one server-streaming call. */
  maxMessages: number;
  /** Most bytes of a `.proto` document and all its imports together (they are compiled on the event loop). */
  maxProtoBytes: number;
  /** PEM file of certificate authorities trusted for TLS besides the system's roots; undefined: none. */
  caFile: string | undefined;
  /** Most channels one tenant holds at once (a shared one counts for each tenant using it). */
  maxChannelsPerTenant: number;
}

/** `call: asyncapi` tasks (ASYNCAPI_MAX_CONNECTIONS_PER_TENANT). */
export interface AsyncApiSettings {
  /** Most broker connections one tenant holds at once (a shared one counts for each tenant using it). */
  maxConnectionsPerTenant: number;
}
