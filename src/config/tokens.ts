import { Registry } from 'prom-client';
import { TaskActivity } from '../application/activity/task-activity';
import { ExecutorLoop } from '../application/executor-loop';
import { ListDeadLetters } from '../application/operations/list-dead-letters.use-case';
import { PurgeDeadLetters } from '../application/operations/purge-dead-letters.use-case';
import { ReplayDeadLetters } from '../application/operations/replay-dead-letters.use-case';
import { ResolveDeadLetters } from '../application/operations/resolve-dead-letters.use-case';
import { ShowDeadLetter } from '../application/operations/show-dead-letter.use-case';
import { ShowTask } from '../application/operations/show-task.use-case';
import { SubmitTask } from '../application/operations/submit-task.use-case';
import { TaskHandlerRegistry } from '../application/handlers/task-handler-registry';
import { CallProtocol } from '../application/handlers/call/call-protocol';
import { BacklogView } from '../application/ports/backlog.port';
import { CircuitBreaker } from '../application/ports/circuit-breaker.port';
import { Clock } from '../application/ports/clock.port';
import { DeadLetterStore } from '../application/ports/dead-letter-store.port';
import { DocumentCache } from '../application/ports/document-cache.port';
import { ExpressionEvaluator } from '../application/ports/expression-evaluator.port';
import { HttpClient } from '../application/ports/http-client.port';
import { GrpcClient } from '../application/ports/grpc-client.port';
import { Logger } from '../application/ports/logger.port';
import { Metrics } from '../application/ports/metrics.port';
import { OpenApiDocumentSource } from '../application/ports/openapi-document-source.port';
import { PatternMatcher } from '../application/ports/pattern-matcher.port';
import { Random } from '../application/ports/random.port';
import { ServiceStatus } from '../application/ports/service-status.port';
import { TaskHandler } from '../application/ports/task-handler.port';
import { TaskInbox } from '../application/ports/task-inbox.port';
import { TaskSubmission } from '../application/ports/task-submission.port';
import { TaskHistory } from '../application/ports/task-history.port';
import { DeadLetterTask } from '../application/use-cases/dead-letter-task.use-case';
import { ExecuteTask } from '../application/use-cases/execute-task.use-case';
import { ProcessDelivery } from '../application/use-cases/process-delivery.use-case';
import { HealthServer } from '../adapters/express/health-server';
import { InMemoryStreamBroker } from '../adapters/memory/in-memory-stream-broker';
import { RecentTraces } from '../adapters/otel/recent-traces';
import { IntervalStallMonitor } from '../adapters/system/interval-stall-monitor';
import { identifier } from './binding';
import { Tracer } from '../application/ports/tracer.port';
import { Closable } from './service';
import { GraphqlDocuments } from '../application/ports/graphql-documents.port';
import { AsyncApiDocuments } from '../application/ports/asyncapi-documents.port';
import { MessageBrokers, PayloadValidator } from '../application/ports/message-brokers.port';
import { RateLimiter } from '../application/ports/rate-limiter.port';
import { ActiveTrace } from '../application/ports/tracer.port';
import { OutboundCalls } from '../application/handlers/call/outbound-calls';

/** Service identifiers, one per thing the container builds; each carries the type it resolves to. */

// Driven ports
export const CLOCK = identifier<Clock>('Clock');
export const RANDOM = identifier<Random>('Random');
export const LOGGER = identifier<Logger>('Logger');
export const METRICS = identifier<Metrics>('Metrics');
export const EXPRESSION_EVALUATOR = identifier<ExpressionEvaluator>('ExpressionEvaluator');
export const PATTERN_MATCHER = identifier<PatternMatcher>('PatternMatcher');
export const HTTP_CLIENT = identifier<HttpClient>('HttpClient');
export const TRACER = identifier<Tracer>('Tracer');
/** The tracing provider's lifetime: flushed and closed when the service stops. */
export const TRACING = identifier<Closable>('Tracing');
/** The spans of the last traces, for the web console (bound only with CONSOLE_TRACES). */
export const RECENT_TRACES = identifier<RecentTraces>('RecentTraces');
export const CIRCUIT_BREAKER = identifier<CircuitBreaker>('CircuitBreaker');
export const OPENAPI_DOCUMENT_SOURCE = identifier<OpenApiDocumentSource>('OpenApiDocumentSource');
/** Cached API documents shared by replicas and restarts, in the stream backend (bound by each backend's module). */
export const DOCUMENT_CACHE = identifier<DocumentCache>('DocumentCache');
export const TASK_INBOX = identifier<TaskInbox>('TaskInbox');
export const TASK_SUBMISSION = identifier<TaskSubmission>('TaskSubmission');
export const DEAD_LETTER_STORE = identifier<DeadLetterStore>('DeadLetterStore');
/** The backlog per location for the console (bound where the backend counts it). */
export const BACKLOG_VIEW = identifier<BacklogView>('BacklogView');
export const SERVICE_STATUS = identifier<ServiceStatus>('ServiceStatus');
/** Outbound gRPC (`call: grpc`). */
export const GRPC_CLIENT = identifier<GrpcClient>('GrpcClient');

// Task handlers (multi-bound: the one list of task types) and the pipeline
export const TASK_HANDLER = identifier<TaskHandler>('TaskHandler');
/** Call protocols beside HTTP and OpenAPI (multi-bound; each protocol's module binds its own). */
export const CALL_PROTOCOL = identifier<CallProtocol>('CallProtocol');
/** GraphQL documents for `call: graphql` (parsing, validation against an introspected schema). */
export const GRAPHQL_DOCUMENTS = identifier<GraphqlDocuments>('GraphqlDocuments');
export const TASK_HANDLER_REGISTRY = identifier<TaskHandlerRegistry>('TaskHandlerRegistry');
export const EXECUTE_TASK = identifier<ExecuteTask>('ExecuteTask');
export const DEAD_LETTER_TASK = identifier<DeadLetterTask>('DeadLetterTask');
export const PROCESS_DELIVERY = identifier<ProcessDelivery>('ProcessDelivery');
export const EXECUTOR_LOOP = identifier<ExecutorLoop>('ExecutorLoop');
/** What the executor did lately, for the web console (bound only when the console is on). */
export const TASK_ACTIVITY = identifier<TaskActivity>('TaskActivity');

// Inbound operations (the HTTP route and the CLI call these)
export const SUBMIT_TASK = identifier<SubmitTask>('SubmitTask');
export const LIST_DEAD_LETTERS = identifier<ListDeadLetters>('ListDeadLetters');
export const SHOW_DEAD_LETTER = identifier<ShowDeadLetter>('ShowDeadLetter');
export const REPLAY_DEAD_LETTERS = identifier<ReplayDeadLetters>('ReplayDeadLetters');
export const RESOLVE_DEAD_LETTERS = identifier<ResolveDeadLetters>('ResolveDeadLetters');
export const PURGE_DEAD_LETTERS = identifier<PurgeDeadLetters>('PurgeDeadLetters');

// Adapter internals shared between modules
/** The registry /metrics serves: the Prometheus metrics record on it. */
export const METRICS_REGISTRY = identifier<Registry>('MetricsRegistry');
/** Event-loop stalls for liveness; a timer the container stops when it is disposed. */
export const EVENT_LOOP_MONITOR = identifier<IntervalStallMonitor>('EventLoopMonitor');
export const HEALTH_SERVER = identifier<HealthServer>('HealthServer');
/** The in-process stream of the embedded profile. */
export const STREAM_BROKER = identifier<InMemoryStreamBroker>('InMemoryStreamBroker');

// A task's history for operators (`flunq-executor tasks show`): the port each backend binds, and the operation
export const TASK_HISTORY = identifier<TaskHistory>('TaskHistory');
export const SHOW_TASK = identifier<ShowTask>('ShowTask');
// AsyncAPI calls (call: asyncapi)
/** AsyncAPI documents, fetched through HTTP_CLIENT and cached. */
export const ASYNCAPI_DOCUMENTS = identifier<AsyncApiDocuments>('AsyncApiDocuments');
/** Connections to message brokers (amqp, mqtt, nats), closed when the service stops. */
export const MESSAGE_BROKERS = identifier<MessageBrokers>('MessageBrokers');
/** JSON schema validation of the messages calls publish. */
export const PAYLOAD_VALIDATOR = identifier<PayloadValidator>('PayloadValidator');
// Outbound calls: rate limits and the audit log (docs/call-rate-limits.md)
/** Rate-limit buckets shared by the replicas (CALL_RATE_LIMIT_BACKEND). */
export const RATE_LIMITER = identifier<RateLimiter>('RateLimiter');
/** The trace id of the running task's span (none with tracing off). */
export const ACTIVE_TRACE = identifier<ActiveTrace>('ActiveTrace');
/** The gate every outbound call of a call task passes: rate limits, push-back, audit line. */
export const OUTBOUND_CALLS = identifier<OutboundCalls>('OutboundCalls');
