import { WORKFLOW_STREAM_GLOB } from '../adapters/flunq-wire/stream-keys';
import { bool, clusterNodes, DURATION_FORM, durationMs, httpUrl, integer, InvalidValue, list, natsUrl, oneOf, redisUrl, text, VariableSpec } from './variable-parsers';
import { parseTenantShares } from '../domain/fair-share';
import { parseHostRateRules } from '../domain/rate-limit';
import { AppConfig } from './settings';
import { loadCredentialsFile } from './credentials-file';

export type { VariableSpec };
export type { StreamSettings, RedisSettings, NatsSettings, ExecutorSettings, FairDispatchConfig, RetrySettings, LimitSettings, HealthSettings, HttpSettings, CallSettings, OpenApiSettings, BreakerSettings, ExpressionSettings, LogSettings, TracingSettings, AppConfig, GrpcSettings, AsyncApiSettings, RateLimitSettings, CallAuditConfig } from './settings';

/** Every environment variable the service reads (the README table and `.env.example` are generated from it). */
export const VARIABLES = {
  REDIS_URL: { name: 'REDIS_URL', default: 'localhost:6379', expected: 'host:port, redis://[user:pass@]host:port[/db] or rediss://…', description: 'Redis to read tasks from and publish results to', parse: redisUrl },
  REDIS_PASSWORD: { name: 'REDIS_PASSWORD', default: '', expected: 'text', description: 'Redis AUTH password (overrides one in REDIS_URL)', parse: text },
  REDIS_CLUSTER_NODES: { name: 'REDIS_CLUSTER_NODES', default: '', expected: 'comma-separated host:port', description: 'Seed nodes of a Redis Cluster; when set, the executor runs on the cluster (REDIS_PASSWORD applies) and REDIS_URL is ignored', parse: clusterNodes },
  REDIS_TASK_KEYS: { name: 'REDIS_TASK_KEYS', default: 'split', expected: 'split, transition or single', description: 'Where a task\'s lease and idempotency marker live in Redis: `split` a lease key and a marker key (the layout of earlier releases, so an upgrade never weakens idempotency); `single` one key per task (less Redis work; for new fleets, or after `transition`); `transition` both, for a rolling move from `split` to `single` (docs/operations.md)', parse: oneOf('split', 'transition', 'single') },
  EVENT_STREAM_TYPE: { name: 'EVENT_STREAM_TYPE', default: 'redis', expected: 'redis, nats or memory', description: '`redis` (Redis Streams) or `nats` (NATS JetStream) for production; `memory` runs the embedded in-process stream (no broker)', parse: oneOf('redis', 'nats', 'memory') },
  LOG_LEVEL: { name: 'LOG_LEVEL', default: 'info', expected: 'debug, info, warn or error', description: 'Lowest level written to stdout (in LOG_FORMAT)', parse: oneOf('debug', 'info', 'warn', 'error') },
  LOG_FORMAT: { name: 'LOG_FORMAT', default: 'json', expected: 'json or pretty', description: '`json`: one JSON object per line; `pretty`: one readable `key=value` line per event, coloured on a terminal (unless NO_COLOR is set)', parse: oneOf('json', 'pretty') },
  EXECUTOR_CONCURRENCY: { name: 'EXECUTOR_CONCURRENCY', default: '4', expected: 'an integer from 1 to 10000', description: 'Tasks run at once per process', parse: integer(1, 10_000) },
  MAX_CONCURRENT_TASKS: { name: 'MAX_CONCURRENT_TASKS', default: '', expected: 'an integer from 1 to 10000', description: 'Fallback for EXECUTOR_CONCURRENCY when that is unset', parse: integer(1, 10_000) },
  EXECUTOR_CONSUMER_GROUP: { name: 'EXECUTOR_CONSUMER_GROUP', default: 'executor-service', expected: 'a non-empty name', description: 'Consumer group shared by all replicas (Redis Streams group; on NATS, the durable consumer, or the prefix of the per-tenant ones)', parse: (raw: string) => { if (!raw.trim()) throw new InvalidValue(); return raw.trim(); } },
  HOSTNAME: { name: 'HOSTNAME', default: 'unknown', expected: 'text', description: 'Consumer name is `executor-$HOSTNAME`; must differ between replicas', parse: text },
  EXECUTOR_STREAMS: { name: 'EXECUTOR_STREAMS', default: '', expected: 'comma-separated stream keys', description: `Fixed streams to read instead of discovering \`${WORKFLOW_STREAM_GLOB}\``, parse: list },
  EXECUTOR_STREAM_BATCH: { name: 'EXECUTOR_STREAM_BATCH', default: '10', expected: 'an integer from 1 to 1000', description: 'XREADGROUP COUNT (never more than the free concurrency slots)', parse: integer(1, 1000) },
  EXECUTOR_STREAM_BLOCK: { name: 'EXECUTOR_STREAM_BLOCK', default: '1s', expected: DURATION_FORM, description: 'XREADGROUP BLOCK time', parse: durationMs },
  EXECUTOR_RECLAIM_ENABLED: { name: 'EXECUTOR_RECLAIM_ENABLED', default: 'true', expected: '1/true/yes or 0/false/no', description: 'Claim entries left pending by dead consumers (XAUTOCLAIM)', parse: bool },
  EXECUTOR_RECLAIM_IDLE: { name: 'EXECUTOR_RECLAIM_IDLE', default: '60s', expected: DURATION_FORM, description: 'An entry pending this long with no keep-alive is claimed', parse: durationMs },
  EXECUTOR_RECLAIM_INTERVAL: { name: 'EXECUTOR_RECLAIM_INTERVAL', default: '15s', expected: DURATION_FORM, description: 'How often the reclaim pass runs', parse: durationMs },
  EXECUTOR_MAX_DELIVERIES: { name: 'EXECUTOR_MAX_DELIVERIES', default: '5', expected: 'an integer from 1 to 1000', description: 'Deliveries of one entry (crashes, reclaims) before it is dead-lettered', parse: integer(1, 1000) },
  EXECUTOR_SHUTDOWN_TIMEOUT: { name: 'EXECUTOR_SHUTDOWN_TIMEOUT', default: '30s', expected: DURATION_FORM, description: 'On SIGTERM, how long in-flight tasks may run before they are cancelled', parse: durationMs },
  TASK_TIMEOUT_SECONDS: { name: 'TASK_TIMEOUT_SECONDS', default: '300', expected: 'an integer from 1 to 86400', description: 'Deadline of a task whose request has no `config.timeout`', parse: integer(1, 86_400) },
  RETRY_MAX_ATTEMPTS: { name: 'RETRY_MAX_ATTEMPTS', default: '3', expected: 'an integer from 1 to 100', description: 'Processing attempts (publication, stream errors) before dead-lettering', parse: integer(1, 100) },
  RETRY_BASE_DELAY_MS: { name: 'RETRY_BASE_DELAY_MS', default: '200', expected: 'an integer from 0 to 600000', description: 'First processing retry delay; doubles per attempt (capped at 30 s)', parse: integer(0, 600_000) },
  HEALTH_PORT: { name: 'HEALTH_PORT', default: '8083', expected: 'a port from 0 to 65535', description: 'Express port for /health, /healthz, /readyz', parse: integer(0, 65_535) },
  METRICS_PORT: { name: 'METRICS_PORT', default: '9091', expected: 'a port from 0 to 65535', description: 'Port for /metrics (same server when equal to HEALTH_PORT)', parse: integer(0, 65_535) },
  OPENAPI_CACHE_TTL_SECONDS: { name: 'OPENAPI_CACHE_TTL_SECONDS', default: '300', expected: 'an integer from 0 to 86400', description: 'How long a fetched OpenAPI document is reused', parse: integer(0, 86_400) },
  OPENAPI_REQUEST_TIMEOUT_SECONDS: { name: 'OPENAPI_REQUEST_TIMEOUT_SECONDS', default: '30', expected: 'an integer from 1 to 3600', description: 'Timeout of an OpenAPI document fetch', parse: integer(1, 3600) },
  HEALTH_HOST: { name: 'HEALTH_HOST', default: '', expected: 'an IP address or host name', description: 'Address the health and metrics servers listen on (unset: all interfaces, as probes come from outside the pod; 127.0.0.1 when the submit API is on)', parse: (raw: string) => { if (!/^[A-Za-z0-9.:\-_]+$/.test(raw.trim())) throw new InvalidValue(); return raw.trim(); } },
  EXECUTOR_SUBMIT_API: { name: 'EXECUTOR_SUBMIT_API', default: 'auto', expected: 'auto, 1/true/yes or 0/false/no', description: '`POST /tasks` on the health server to submit a task and wait for its completion; `auto` = on only with EVENT_STREAM_TYPE=memory (never against a shared broker)', parse: (raw: string) => (raw.trim().toLowerCase() === 'auto' ? 'auto' as const : bool(raw)) },
  HTTP_MAX_RESPONSE_BYTES: { name: 'HTTP_MAX_RESPONSE_BYTES', default: '10485760', expected: 'an integer from 1024 to 1073741824', description: 'Largest response body (and OpenAPI document) accepted; larger ones fail with RESPONSE_TOO_LARGE', parse: integer(1024, 1_073_741_824) },
  HTTP_MAX_SOCKETS_PER_HOST: { name: 'HTTP_MAX_SOCKETS_PER_HOST', default: '64', expected: 'an integer from 1 to 10000', description: 'Pooled keep-alive connections per downstream host', parse: integer(1, 10_000) },
  HTTP_TRANSPORT_RETRIES: { name: 'HTTP_TRANSPORT_RETRIES', default: '2', expected: 'an integer from 0 to 2', description: 'Resends of idempotent requests (GET, HEAD, OPTIONS, PUT, DELETE) after a network error without a response; never for POST/PATCH, never for a status', parse: integer(0, 2) },
  HTTP_CLIENT: { name: 'HTTP_CLIENT', default: 'undici', expected: 'undici or axios', description: 'Library behind outbound HTTP calls: `undici` (default, about 6× less CPU per request) or `axios`; same behaviour (docs/performance.md)', parse: oneOf('undici', 'axios') },
  CALL_DENY_PRIVATE_NETWORKS: { name: 'CALL_DENY_PRIVATE_NETWORKS', default: 'false', expected: '1/true/yes or 0/false/no', description: 'Refuse calls and document fetches to loopback, private, link-local and metadata addresses (checked after DNS and on every redirect)', parse: bool },
  CIRCUIT_BREAKER_ENABLED: { name: 'CIRCUIT_BREAKER_ENABLED', default: 'true', expected: '1/true/yes or 0/false/no', description: 'Per-host circuit breaker for call tasks', parse: bool },
  CIRCUIT_BREAKER_VOLUME_THRESHOLD: { name: 'CIRCUIT_BREAKER_VOLUME_THRESHOLD', default: '10', expected: 'an integer from 1 to 100000', description: 'Calls to a host within the window before its circuit may open', parse: integer(1, 100_000) },
  CIRCUIT_BREAKER_ERROR_PERCENT: { name: 'CIRCUIT_BREAKER_ERROR_PERCENT', default: '50', expected: 'an integer from 1 to 100', description: 'Share of failed calls (5xx, transport errors; not 4xx) within the window that opens the circuit', parse: integer(1, 100) },
  CIRCUIT_BREAKER_WINDOW: { name: 'CIRCUIT_BREAKER_WINDOW', default: '30s', expected: DURATION_FORM, description: 'Rolling window of the circuit statistics', parse: durationMs },
  CIRCUIT_BREAKER_RESET_TIMEOUT: { name: 'CIRCUIT_BREAKER_RESET_TIMEOUT', default: '30s', expected: DURATION_FORM, description: 'How long an open circuit fails fast before letting one trial call through', parse: durationMs },
  EXECUTOR_STREAM_PATTERN: { name: 'EXECUTOR_STREAM_PATTERN', default: WORKFLOW_STREAM_GLOB, expected: 'a Redis glob pattern', description: 'Keys of the streams to discover (when EXECUTOR_STREAMS is empty)', parse: (raw: string) => { if (!raw.trim()) throw new InvalidValue(); return raw.trim(); } },
  EXECUTOR_STREAMS_PER_READ: { name: 'EXECUTOR_STREAMS_PER_READ', default: '100', expected: 'an integer from 1 to 10000', description: 'Most streams named in one XREADGROUP call', parse: integer(1, 10_000) },
  EXECUTOR_KEYSPACE_NOTIFICATIONS: { name: 'EXECUTOR_KEYSPACE_NOTIFICATIONS', default: 'true', expected: '1/true/yes or 0/false/no', description: 'Learn new streams and entries from keyspace notifications (adds `Et` to notify-keyspace-events if missing); off: poll with SCAN', parse: bool },
  EXECUTOR_RESCAN_INTERVAL: { name: 'EXECUTOR_RESCAN_INTERVAL', default: '60s', expected: DURATION_FORM, description: 'Background incremental SCAN period when notifications work (without them: every second)', parse: durationMs },
  EXECUTOR_SETTLED_TTL: { name: 'EXECUTOR_SETTLED_TTL', default: '168h', expected: DURATION_FORM + ' (0: never expire)', description: 'How long the per-task idempotency marker is kept', parse: durationMs },
  EXPRESSION_TIMEOUT: { name: 'EXPRESSION_TIMEOUT', default: '2s', expected: DURATION_FORM, description: 'Longest run of one batch of runtime expressions (also bounded by the task deadline); a longer one is stopped and fails with EXPRESSION_TIMEOUT', parse: durationMs },
  EXPRESSION_WORKERS: { name: 'EXPRESSION_WORKERS', default: '4', expected: 'an integer from 1 to 64', description: 'Most worker threads evaluating jq expressions at once (one is kept warm; plain path lookups run in-process)', parse: integer(1, 64) },
  EXPRESSION_MAX_MEMORY_MB: { name: 'EXPRESSION_MAX_MEMORY_MB', default: '128', expected: 'an integer from 32 to 4096', description: 'Heap limit of one expression worker; an evaluation that exceeds it is stopped and fails with EXPRESSION_LIMIT', parse: integer(32, 4096) },
  EXECUTOR_MAX_ENTRY_BYTES: { name: 'EXECUTOR_MAX_ENTRY_BYTES', default: '4194304', expected: 'an integer from 1024 to 536870912', description: 'Largest task request entry (all fields); a larger one is dead-lettered with its size in the reason and a failed completion', parse: integer(1024, 536_870_912) },
  EXECUTOR_MAX_JSON_DEPTH: { name: 'EXECUTOR_MAX_JSON_DEPTH', default: '256', expected: 'an integer from 16 to 1000', description: 'Deepest nesting of arrays and objects accepted in task data, responses and expression results; deeper input fails with a clear error', parse: integer(16, 1000) },
  EXECUTOR_STALL_THRESHOLD: { name: 'EXECUTOR_STALL_THRESHOLD', default: '10s', expected: DURATION_FORM, description: 'An event-loop stall longer than this makes /healthz fail for a minute, so that an orchestrator restarts the replica', parse: durationMs },
  CALL_IDEMPOTENCY_KEYS: { name: 'CALL_IDEMPOTENCY_KEYS', default: 'false', expected: '1/true/yes or 0/false/no', description: 'Send an `Idempotency-Key` header (derived from the task id and the call\'s position in the task) on POST and PATCH calls', parse: bool },
  CIRCUIT_BREAKER_MAX_CIRCUITS: { name: 'CIRCUIT_BREAKER_MAX_CIRCUITS', default: '1000', expected: 'an integer from 1 to 1000000', description: 'Circuits (tenant and host pairs) kept in memory; the least recently used closed one is dropped beyond this', parse: integer(1, 1_000_000) },
  EXECUTOR_SUBMIT_TOKEN: { name: 'EXECUTOR_SUBMIT_TOKEN', default: '', expected: 'text (at least 16 characters)', description: 'Bearer token `POST /tasks` requires; needed when HEALTH_HOST is not a loopback address and the submit API is on', parse: (raw: string) => { if (raw.trim().length < 16) throw new InvalidValue(); return raw.trim(); } },
  OTEL_TRACES_EXPORTER: { name: 'OTEL_TRACES_EXPORTER', default: 'none', expected: 'none, otlp or console', description: 'Where task and outbound-call spans go: `otlp` (an OpenTelemetry collector), `console` (log lines in LOG format), `none` (tracing off, no cost)', parse: oneOf('none', 'otlp', 'console') },
  OTEL_EXPORTER_OTLP_ENDPOINT: { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', default: '', expected: 'an http(s) URL', description: 'OTLP base URL; spans go to `<it>/v1/traces` (unset: http://localhost:4318)', parse: httpUrl },
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: { name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', default: '', expected: 'an http(s) URL', description: 'Full OTLP URL for spans (overrides OTEL_EXPORTER_OTLP_ENDPOINT)', parse: httpUrl },
  OTEL_EXPORTER_OTLP_PROTOCOL: { name: 'OTEL_EXPORTER_OTLP_PROTOCOL', default: 'http/protobuf', expected: 'http/protobuf or http/json', description: 'OTLP encoding', parse: oneOf('http/protobuf', 'http/json') },
  OTEL_SERVICE_NAME: { name: 'OTEL_SERVICE_NAME', default: 'flunq-executor', expected: 'a non-empty name', description: 'The `service.name` of the spans', parse: (raw: string) => { if (!raw.trim()) throw new InvalidValue(); return raw.trim(); } },
  OTEL_TRACES_SAMPLER: { name: 'OTEL_TRACES_SAMPLER', default: 'parentbased_always_on', expected: 'always_on, always_off, traceidratio or parentbased_ of one of them', description: 'Which tasks are traced (the standard OpenTelemetry samplers)', parse: oneOf('always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio') },
  OTEL_TRACES_SAMPLER_ARG: { name: 'OTEL_TRACES_SAMPLER_ARG', default: '1', expected: 'a ratio from 0 to 1', description: 'The ratio of the `traceidratio` samplers', parse: (raw: string) => { const n = Number(raw.trim()); if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidValue(); return n; } },
  CONSOLE_ENABLED: { name: 'CONSOLE_ENABLED', default: 'auto', expected: 'auto, 1/true/yes or 0/false/no', description: 'The web console at `/console` on the health server; `auto` = on only with EVENT_STREAM_TYPE=memory', parse: (raw: string) => (raw.trim().toLowerCase() === 'auto' ? 'auto' as const : bool(raw)) },
  CONSOLE_TRACES: { name: 'CONSOLE_TRACES', default: 'auto', expected: 'auto, 1/true/yes or 0/false/no', description: 'The console keeps the spans of the last 500 traces, to follow a task from its request to its outbound calls (tasks are then traced even with OTEL_TRACES_EXPORTER=none); `auto` = on when the console is on in embedded mode', parse: (raw: string) => (raw.trim().toLowerCase() === 'auto' ? 'auto' as const : bool(raw)) },
  CONSOLE_TOKEN: { name: 'CONSOLE_TOKEN', default: '', expected: 'text (at least 16 characters)', description: 'Bearer token (or login) the console needs for replays and for any access from another machine; unset: loopback reads only', parse: (raw: string) => { if (raw.trim().length < 16) throw new InvalidValue(); return raw.trim(); } },
  EXECUTOR_FAIR_DISPATCH: { name: 'EXECUTOR_FAIR_DISPATCH', default: 'true', expected: '1/true/yes or 0/false/no', description: 'Fair dispatch across tenants (weights, caps, priority, bounded read-ahead; on NATS one consumer per tenant, read through the gate); off: first come, first served, reading only into free slots (on NATS one consumer)', parse: bool },
  EXECUTOR_TENANT_SHARES: { name: 'EXECUTOR_TENANT_SHARES', default: '', expected: 'tenant=weight[:cap=N] entries separated by commas, * for every other tenant (weights 1-1000, caps 1-10000)', description: 'Per-tenant weights and hard caps on running tasks, e.g. `acme=3,beta=1:cap=4,*=1`; unset: every tenant weight 1, no cap', parse: parseTenantShares },
  EXECUTOR_WORKFLOW_CAP: { name: 'EXECUTOR_WORKFLOW_CAP', default: '', expected: 'an integer from 1 to 10000', description: 'Most tasks of one workflow running at once (unset: no cap beyond its tenant\'s)', parse: integer(1, 10_000) },
  EXECUTOR_READ_AHEAD: { name: 'EXECUTOR_READ_AHEAD', default: '', expected: 'an integer from 1 to 10000', description: 'Most tasks read and waiting for a slot under fair dispatch (unset: EXECUTOR_CONCURRENCY); they are kept alive while they wait', parse: integer(1, 10_000) },
  EXECUTOR_FAIR_RESERVE: { name: 'EXECUTOR_FAIR_RESERVE', default: '', expected: 'an integer from 0 to 9999, below EXECUTOR_CONCURRENCY', description: 'Slots a tenant above its fair share leaves free while other tenants were active in the last minute (unset: a tenth of EXECUTOR_CONCURRENCY, rounded down); also how many tasks of tenants with nothing running may start beyond the slots (at least 1)', parse: integer(0, 9999) },
  OPENAPI_CACHE_SHARED: { name: 'OPENAPI_CACHE_SHARED', default: 'true', expected: '1/true/yes or 0/false/no', description: 'Keep fetched OpenAPI documents in the backend too (Redis, the NATS key-value store, or memory in embedded mode), per tenant and URL, so that other replicas and the next start find them (docs/document-cache.md)', parse: bool },
  OPENAPI_CACHE_MAX_STALE: { name: 'OPENAPI_CACHE_MAX_STALE', default: '24h', expected: DURATION_FORM + ' (0: never)', description: 'How long past OPENAPI_CACHE_TTL_SECONDS a cached OpenAPI document is still used while its origin cannot be reached (network error, timeout, 5xx, 429); a warning and a `stale` count each time', parse: durationMs },
  OPENAPI_WORKERS: { name: 'OPENAPI_WORKERS', default: '4', expected: 'an integer from 1 to 64', description: 'Most worker threads parsing and holding OpenAPI documents; each holds one tenant\'s documents (tenants share only while every worker is busy)', parse: integer(1, 64) },
  NATS_URL: { name: 'NATS_URL', default: 'nats://127.0.0.1:4222', expected: 'nats://[user:password@|token@]host:port or tls://… (several: comma-separated)', description: 'NATS server with JetStream (EVENT_STREAM_TYPE=nats)', parse: natsUrl },
  NATS_CREDS: { name: 'NATS_CREDS', default: '', expected: 'a file path', description: 'NATS credentials file (user JWT and NKey seed)', parse: (raw: string) => { if (!raw.trim()) throw new InvalidValue(); return raw.trim(); } },
  NATS_SUBJECT_PREFIX: { name: 'NATS_SUBJECT_PREFIX', default: 'flunq', expected: 'subject tokens (A-Z a-z 0-9 _ -) separated by dots', description: 'Workflow events are on `{prefix}.tenant.{tenant}.workflow.{workflow}.events`', parse: (raw: string) => { if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(raw.trim())) throw new InvalidValue(); return raw.trim(); } },
  NATS_STREAM: { name: 'NATS_STREAM', default: 'FLUNQ_EVENTS', expected: 'a stream name (A-Z a-z 0-9 _ -)', description: 'JetStream stream holding the workflow events (created if missing; an existing one must cover the workflow subjects)', parse: (raw: string) => { if (!/^[A-Za-z0-9_-]+$/.test(raw.trim())) throw new InvalidValue(); return raw.trim(); } },
  GRPC_PROTO_DIR: { name: 'GRPC_PROTO_DIR', default: '', expected: 'a directory path', description: 'Directory `call: grpc` tasks may read `.proto` documents from by path (and their imports); unset: only http(s) URLs', parse: (raw: string) => { if (!raw.trim()) throw new InvalidValue(); return raw.trim(); } },
  GRPC_MAX_MESSAGES: { name: 'GRPC_MAX_MESSAGES', default: '1000', expected: 'an integer from 1 to 100000', description: 'Most messages a `call: grpc` task collects from a server-streaming method; more fail with RESPONSE_TOO_LARGE', parse: integer(1, 100_000) },
  GRPC_CA_FILE: { name: 'GRPC_CA_FILE', default: '', expected: 'a file path (PEM certificates)', description: 'Certificate authorities `call: grpc` TLS connections trust besides the system\'s roots (a PEM file of one or more certificates, read at start)', parse: (raw: string) => { if (!raw.trim()) throw new InvalidValue(); return raw.trim(); } },
  GRPC_MAX_PROTO_BYTES: { name: 'GRPC_MAX_PROTO_BYTES', default: '262144', expected: 'an integer from 1024 to 16777216', description: 'Most bytes of a `.proto` document and all its imports together that a `call: grpc` task loads (parsed in a worker thread, the definitions of the method called built on the event loop); more fail with a configuration error naming this limit', parse: integer(1024, 16_777_216) },
  GRPC_MAX_CHANNELS_PER_TENANT: { name: 'GRPC_MAX_CHANNELS_PER_TENANT', default: '64', expected: 'an integer from 1 to 256 (the channels kept open)', description: 'Most of the 256 gRPC channels one tenant holds at once (those it opened or calls through; one shared with other tenants counts for each): it first lets go of its least recently used idle one, and a call needing another while it has calls running on all of them fails with NETWORK (retryable) naming this limit; the other tenants keep the rest of the pool, so it takes more than 256 ÷ this many busy tenants to fill it (docs/call-grpc.md)', parse: integer(1, 256) },
  ASYNCAPI_MAX_CONNECTIONS_PER_TENANT: { name: 'ASYNCAPI_MAX_CONNECTIONS_PER_TENANT', default: '8', expected: 'an integer from 1 to 32 (the broker connections kept open)', description: 'Most of the 32 broker connections of `call: asyncapi` one tenant holds at once (those it opened or calls through; one shared with other tenants counts for each): it first lets go of its least recently used idle one, and a call needing another while it has calls in flight on all of them fails with NETWORK (retryable) naming this limit; the other tenants keep the rest of the pool, so it takes more than 32 ÷ this many busy tenants to fill it (docs/call-asyncapi.md)', parse: integer(1, 32) },
  CALL_MAX_REQUEST_BYTES: { name: 'CALL_MAX_REQUEST_BYTES', default: '10485760', expected: 'an integer from 1024 to 1073741824', description: 'Largest request body a call builds from files and bytes (multipart with its files, binary bodies), files fetched by URL included; a larger one fails with REQUEST_TOO_LARGE (docs/call-content.md)', parse: integer(1024, 1_073_741_824) },
  CALL_CREDENTIALS_FILE: { name: 'CALL_CREDENTIALS_FILE', default: '', expected: 'a file path', description: 'JSON or YAML file of credentials for the security schemes of OpenAPI documents, each bound to the documents, hosts and tenants it may be sent for; read and checked at start. When set, an OpenAPI call without `authentication` gets its operation\'s security requirement applied from it (docs/call-security.md)', parse: (raw: string) => { if (!raw.trim()) throw new InvalidValue(); return raw.trim(); } },
  CALL_SECURITY_REQUIREMENTS: { name: 'CALL_SECURITY_REQUIREMENTS', default: 'auto', expected: 'auto, enforce or off', description: 'Whether an OpenAPI call without `authentication` gets its operation\'s security requirement applied from the operator\'s credentials, failing when none fits: `auto` = only when CALL_CREDENTIALS_FILE is set, `enforce` = always, `off` = never (docs/call-security.md)', parse: oneOf('auto', 'enforce', 'off') },
  CALL_VALIDATE: { name: 'CALL_VALIDATE', default: 'none', expected: 'none, request, response or both', description: 'Which side of every OpenAPI call is checked against the document\'s schemas when the task sets no `validate` of its own (docs/call-validation.md)', parse: oneOf('none', 'request', 'response', 'both') },
  CALL_RATE_LIMITS: { name: 'CALL_RATE_LIMITS', default: '', expected: 'pattern=calls/period[:burst=N][:per-host][:per-tenant] entries separated by ; (pattern: a host, *.domain or *, optionally :port; period: s, m, h, ms, or e.g. 10s)', description: 'Rate limits of outbound calls by target host, shared by every replica, e.g. `api.example.com=10/s; *.stripe.com=100/m:burst=20; *=50/s:per-host`; a call waits for a slot within its deadline, else fails with RATE_LIMITED (docs/call-rate-limits.md)', parse: parseHostRateRules },
  CALL_RATE_LIMIT_BACKEND: { name: 'CALL_RATE_LIMIT_BACKEND', default: 'auto', expected: 'auto, memory, redis or nats', description: 'Where rate-limit buckets are kept: `auto` = the stream backend (Redis, NATS key-value, or in process with EVENT_STREAM_TYPE=memory); `memory` limits each replica on its own', parse: oneOf('auto', 'memory', 'redis', 'nats') },
  CALL_RATE_LIMIT_MAX_WAIT: { name: 'CALL_RATE_LIMIT_MAX_WAIT', default: '', expected: DURATION_FORM, description: 'Longest wait of one call for its rate-limit slots (unset: until the task\'s deadline); a slot further away fails the call at once with RATE_LIMITED', parse: durationMs },
  CALL_RATE_LIMIT_MAX_PENALTY: { name: 'CALL_RATE_LIMIT_MAX_PENALTY', default: '60s', expected: DURATION_FORM, description: 'Longest pause a downstream\'s `Retry-After` (on a 429 or 503) imposes on the calls of a rate-limited host', parse: durationMs },
  CALL_RATE_LIMIT_BACKOFF: { name: 'CALL_RATE_LIMIT_BACKOFF', default: '1s', expected: DURATION_FORM + ' (0: none)', description: 'Pause of a rate-limited host\'s calls after a 429 without `Retry-After`', parse: durationMs },
  CALL_AUDIT_LOG: { name: 'CALL_AUDIT_LOG', default: 'false', expected: '1/true/yes or 0/false/no', description: 'One `outbound call` log line per call a task sends: protocol, method, URL without secrets, status or error code, duration, task, workflow and trace ids; never headers', parse: bool },
  CALL_AUDIT_BODIES: { name: 'CALL_AUDIT_BODIES', default: 'false', expected: '1/true/yes or 0/false/no', description: 'With CALL_AUDIT_LOG: add the request and response bodies, with the call\'s secrets and sensitive JSON values blanked out, cut to CALL_AUDIT_BODY_BYTES (for debugging only)', parse: bool },
  CALL_AUDIT_BODY_BYTES: { name: 'CALL_AUDIT_BODY_BYTES', default: '2048', expected: 'an integer from 64 to 65536', description: 'Longest body text in an audit line (longer ones are cut and their size given)', parse: integer(64, 65_536) },
} satisfies Record<string, VariableSpec<unknown>>;

type Vars = typeof VARIABLES;
export type VariableName = keyof Vars;
type ValueOf<K extends VariableName> = ReturnType<Vars[K]['parse']>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** `localhost`, 127.0.0.0/8, `::1` or an IPv4-mapped loopback address: reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127(\.\d{1,3}){3}$/.test(h);
}

/** Reads and validates every variable; reports all bad ones at once. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): AppConfig {
  const problems: string[] = [];
  const isSet = (name: VariableName): boolean => env[name] !== undefined && env[name] !== '';
  function read<K extends VariableName>(name: K): ValueOf<K> {
    const spec = VARIABLES[name] as VariableSpec<ValueOf<K>>;
    const raw = isSet(name) ? (env[name] as string) : spec.default;
    try {
      return spec.parse(raw);
    } catch (error) {
      const why = error instanceof InvalidValue || !(error instanceof Error) ? '' : `${error.message}; `;
      problems.push(`${name}=${JSON.stringify(raw)}: ${why}expected ${spec.expected}`);
      return undefined as ValueOf<K>;
    }
  }

  const streamType = read('EVENT_STREAM_TYPE');
  const concurrency = isSet('EXECUTOR_CONCURRENCY') || !isSet('MAX_CONCURRENT_TASKS') ? read('EXECUTOR_CONCURRENCY') : read('MAX_CONCURRENT_TASKS');
  const submitApiSetting = read('EXECUTOR_SUBMIT_API');
  const consoleSetting = read('CONSOLE_ENABLED');
  const config: AppConfig = {
    stream: {
      type: streamType,
      group: read('EXECUTOR_CONSUMER_GROUP'),
      consumer: `executor-${read('HOSTNAME')}`,
      streams: read('EXECUTOR_STREAMS'),
      pattern: read('EXECUTOR_STREAM_PATTERN'),
      batch: read('EXECUTOR_STREAM_BATCH'),
      blockMs: read('EXECUTOR_STREAM_BLOCK'),
      streamsPerRead: read('EXECUTOR_STREAMS_PER_READ'),
      reclaimEnabled: read('EXECUTOR_RECLAIM_ENABLED'),
      reclaimIdleMs: read('EXECUTOR_RECLAIM_IDLE'),
      reclaimIntervalMs: read('EXECUTOR_RECLAIM_INTERVAL'),
      keyspaceNotifications: read('EXECUTOR_KEYSPACE_NOTIFICATIONS'),
      rescanIntervalMs: read('EXECUTOR_RESCAN_INTERVAL'),
      settledTtlMs: read('EXECUTOR_SETTLED_TTL'),
    },
    redis: {
      url: read('REDIS_URL'),
      password: isSet('REDIS_PASSWORD') ? read('REDIS_PASSWORD') : undefined,
      clusterNodes: read('REDIS_CLUSTER_NODES'),
      taskKeys: read('REDIS_TASK_KEYS'),
    },
    nats: {
      url: read('NATS_URL'),
      credsFile: isSet('NATS_CREDS') ? read('NATS_CREDS') : undefined,
      subjectPrefix: read('NATS_SUBJECT_PREFIX'),
      stream: read('NATS_STREAM'),
    },
    executor: {
      concurrency,
      maxDeliveries: read('EXECUTOR_MAX_DELIVERIES'),
      shutdownTimeoutMs: read('EXECUTOR_SHUTDOWN_TIMEOUT'),
      taskTimeoutMs: read('TASK_TIMEOUT_SECONDS') * 1000,
      fair: {
        enabled: read('EXECUTOR_FAIR_DISPATCH'),
        shares: read('EXECUTOR_TENANT_SHARES'),
        workflowCap: isSet('EXECUTOR_WORKFLOW_CAP') ? read('EXECUTOR_WORKFLOW_CAP') : undefined,
        readAhead: isSet('EXECUTOR_READ_AHEAD') ? read('EXECUTOR_READ_AHEAD') : concurrency,
        reserve: isSet('EXECUTOR_FAIR_RESERVE') ? read('EXECUTOR_FAIR_RESERVE') : Math.floor((concurrency ?? 0) / 10),
      },
    },
    retry: {
      maxAttempts: read('RETRY_MAX_ATTEMPTS'),
      baseDelayMs: read('RETRY_BASE_DELAY_MS'),
    },
    limits: {
      maxEntryBytes: read('EXECUTOR_MAX_ENTRY_BYTES'),
      maxJsonDepth: read('EXECUTOR_MAX_JSON_DEPTH'),
    },
    health: {
      port: read('HEALTH_PORT'),
      metricsPort: read('METRICS_PORT'),
      host: isSet('HEALTH_HOST') ? read('HEALTH_HOST') : undefined,
      submitApi: submitApiSetting === 'auto' ? streamType === 'memory' : submitApiSetting,
      submitToken: isSet('EXECUTOR_SUBMIT_TOKEN') ? read('EXECUTOR_SUBMIT_TOKEN') : undefined,
      stallThresholdMs: read('EXECUTOR_STALL_THRESHOLD'),
      console: consoleSetting === 'auto' ? streamType === 'memory' : consoleSetting,
      consoleToken: isSet('CONSOLE_TOKEN') ? read('CONSOLE_TOKEN') : undefined,
    },
    http: {
      client: read('HTTP_CLIENT'),
      maxResponseBytes: read('HTTP_MAX_RESPONSE_BYTES'),
      maxSocketsPerHost: read('HTTP_MAX_SOCKETS_PER_HOST'),
      transportRetries: read('HTTP_TRANSPORT_RETRIES'),
      denyPrivateNetworks: read('CALL_DENY_PRIVATE_NETWORKS'),
    },
    call: {
      idempotencyKeys: read('CALL_IDEMPOTENCY_KEYS'),
      validate: read('CALL_VALIDATE'),
      maxRequestBytes: read('CALL_MAX_REQUEST_BYTES'),
      credentials: isSet('CALL_CREDENTIALS_FILE') ? loadCredentialsFile(read('CALL_CREDENTIALS_FILE'), env, problems) : [],
      securityRequirements: read('CALL_SECURITY_REQUIREMENTS'),
    },
    openApi: {
      cacheTtlMs: read('OPENAPI_CACHE_TTL_SECONDS') * 1000,
      requestTimeoutMs: read('OPENAPI_REQUEST_TIMEOUT_SECONDS') * 1000,
      workers: read('OPENAPI_WORKERS'),
      sharedCache: read('OPENAPI_CACHE_SHARED'),
      maxStaleMs: read('OPENAPI_CACHE_MAX_STALE'),
    },
    breaker: {
      enabled: read('CIRCUIT_BREAKER_ENABLED'),
      volumeThreshold: read('CIRCUIT_BREAKER_VOLUME_THRESHOLD'),
      errorThresholdPercentage: read('CIRCUIT_BREAKER_ERROR_PERCENT'),
      rollingWindowMs: read('CIRCUIT_BREAKER_WINDOW'),
      resetTimeoutMs: read('CIRCUIT_BREAKER_RESET_TIMEOUT'),
      maxCircuits: read('CIRCUIT_BREAKER_MAX_CIRCUITS'),
    },
    expressions: { timeoutMs: read('EXPRESSION_TIMEOUT'), maxWorkers: read('EXPRESSION_WORKERS'), maxMemoryMb: read('EXPRESSION_MAX_MEMORY_MB') },
    log: { level: read('LOG_LEVEL'), format: read('LOG_FORMAT') },
    tracing: {
      exporter: read('OTEL_TRACES_EXPORTER'),
      endpoint: isSet('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ? read('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') : isSet('OTEL_EXPORTER_OTLP_ENDPOINT') ? `${read('OTEL_EXPORTER_OTLP_ENDPOINT').replace(/\/+$/, '')}/v1/traces` : undefined,
      protocol: read('OTEL_EXPORTER_OTLP_PROTOCOL'),
      serviceName: read('OTEL_SERVICE_NAME'),
      sampler: read('OTEL_TRACES_SAMPLER'),
      samplerRatio: read('OTEL_TRACES_SAMPLER_ARG'),
      record: false,
    },
    grpc: {
      protoDir: isSet('GRPC_PROTO_DIR') ? read('GRPC_PROTO_DIR') : undefined,
      maxMessages: read('GRPC_MAX_MESSAGES'),
      maxProtoBytes: read('GRPC_MAX_PROTO_BYTES'),
      caFile: isSet('GRPC_CA_FILE') ? read('GRPC_CA_FILE') : undefined,
      maxChannelsPerTenant: read('GRPC_MAX_CHANNELS_PER_TENANT'),
    },
    asyncApi: { maxConnectionsPerTenant: read('ASYNCAPI_MAX_CONNECTIONS_PER_TENANT') },
    rateLimits: {
      backend: read('CALL_RATE_LIMIT_BACKEND'),
      rules: read('CALL_RATE_LIMITS'),
      maxWaitMs: isSet('CALL_RATE_LIMIT_MAX_WAIT') ? read('CALL_RATE_LIMIT_MAX_WAIT') : undefined,
      maxPenaltyMs: read('CALL_RATE_LIMIT_MAX_PENALTY'),
      backoffMs: read('CALL_RATE_LIMIT_BACKOFF'),
    },
    callAudit: { enabled: read('CALL_AUDIT_LOG'), bodies: read('CALL_AUDIT_BODIES'), maxBodyBytes: read('CALL_AUDIT_BODY_BYTES') },
  };
  const { health } = config;
  const consoleTraces = read('CONSOLE_TRACES');
  config.tracing.record = health.console && (consoleTraces === 'auto' ? streamType === 'memory' : consoleTraces === true);
  if (concurrency !== undefined && config.executor.fair.reserve >= concurrency) problems.push(`EXECUTOR_FAIR_RESERVE=${config.executor.fair.reserve}: must be below EXECUTOR_CONCURRENCY (${concurrency})`);
  const group = config.stream.group;
  if (streamType === 'nats' && group !== undefined && !/^[A-Za-z0-9_-]+$/.test(group)) problems.push(`EXECUTOR_CONSUMER_GROUP=${JSON.stringify(group)}: with EVENT_STREAM_TYPE=nats it names durable consumers, so only A-Z a-z 0-9 _ - are allowed`);
  if (health.submitApi && streamType !== 'memory') problems.push('EXECUTOR_SUBMIT_API=true: the submit API exists only with EVENT_STREAM_TYPE=memory (use the task stream in production)');
  if (health.submitApi) {
    // POST /tasks runs any task it is given: loopback only unless asked, and never open to a network without a token.
    health.host ??= '127.0.0.1';
    if (!isLoopbackHost(health.host) && health.submitToken === undefined) {
      problems.push(`EXECUTOR_SUBMIT_TOKEN: required when the submit API (POST /tasks) listens on HEALTH_HOST=${health.host}, which is not a loopback address (or set EXECUTOR_SUBMIT_API=false, or leave HEALTH_HOST unset to listen on 127.0.0.1)`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
