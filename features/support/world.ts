import 'reflect-metadata';
import { IWorldOptions, setWorldConstructor, World } from '@cucumber/cucumber';
import { ExecutorLoop } from '../../src/application/executor-loop';
import { FakeClock } from '../../test/support/fake-clock';
import { InMemoryLogger } from '../../test/support/in-memory-logger';
import { InMemoryMetrics } from '../../test/support/in-memory-metrics';
import { StoredEntry } from '../../src/adapters/memory/in-memory-stream-broker';
import { FaultPlan } from '../../test/support/faulty-entry-stream';
import { RecordingBroker } from '../../test/support/recording-broker';
import { FakeMessageBrokers } from '../../test/support/fake-message-brokers';
import { SeededRandom } from '../../test/support/seeded-random';
import { PooledJqExpressionEvaluator } from '../../src/adapters/jq/pooled-jq-expression-evaluator';
import { OasDocumentSource } from '../../src/adapters/openapi/oas-document-source';
import { AppConfig, loadConfig } from '../../src/config/env';
import { expressionEvaluatorOptions } from '../../src/config/modules/expressions.module';
import { TestExecutor, testExecutor } from '../../test/support/test-profile';
import { CompletedPayload } from '../../src/domain/flunq-events';
import { TASK_COMPLETED, TASK_DLQ } from '../../src/domain/task-request';
import { FakeGrpcClient } from '../../test/support/fake-grpc-client';

export const TENANT = 'acme';
export const WORKFLOW = 'wf_3f1c2a9b-8d7e-4c';
export const EXECUTION = 'ex_9a2e51c0-77b1-40';
export const STREAM = `tenant:${TENANT}:workflow:${WORKFLOW}:events`;

export interface TaskSpec {
  taskName: string;
  taskType?: string;
  parameters?: Record<string, unknown>;
  input?: Record<string, unknown>;
  context?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

/** Expression worker pools shared by all scenarios (per set of limits), so scenarios do not each start threads. */
const evaluators = new Map<string, PooledJqExpressionEvaluator>();

function sharedEvaluator(config: AppConfig): PooledJqExpressionEvaluator {
  const options = expressionEvaluatorOptions(config);
  const key = JSON.stringify(options);
  let evaluator = evaluators.get(key);
  if (!evaluator) evaluators.set(key, (evaluator = new PooledJqExpressionEvaluator(options)));
  return evaluator;
}

/**
 * One scenario's executor: the test profile with a fake clock, a seeded random and
 * an in-process stream. Steps talk to it in flunq terms (submit a request, read completions).
 */
export class ExecutorWorld extends World {
  // Scenarios stub HTTP with nock, which intercepts node:http (axios) but not undici; both
  // adapters pass the same HttpClient contract suite (test/contract/*-http-client.test.ts).
  env: Record<string, string> = { EXECUTOR_CONCURRENCY: '4', HOSTNAME: 'test', HTTP_CLIENT: 'axios' };
  readonly clock = new FakeClock();
  readonly random = new SeededRandom(7);
  readonly logger = new InMemoryLogger();
  readonly metrics = new InMemoryMetrics();
  readonly broker = new RecordingBroker(this.clock);
  /** The message brokers `call: asyncapi` publishes to. */
  readonly messageBrokers = new FakeMessageBrokers();
  /** Outages of the stream the scenario simulates. */
  readonly faults = new FaultPlan();
  /** The gRPC peers of `call: grpc` tasks (scripted by features/steps/grpc.steps.ts). */
  readonly grpc = new FakeGrpcClient();
  executor: TestExecutor | undefined;
  loop: ExecutorLoop | undefined;
  stopping: Promise<void> | undefined;
  /** Loops of executors that crashed: they no longer reach the stream, and are never stopped. */
  readonly crashed: ExecutorLoop[] = [];
  private seq = 0;
  private waitsForWorkers = false;
  private documents: OasDocumentSource | undefined;
  lastTaskId = '';
  /** Free-form per-scenario state for step files (keep it typed at the use site). */
  readonly bag = new Map<string, unknown>();

  constructor(options: IWorldOptions) {
    super(options);
  }

  get config(): AppConfig {
    return loadConfig({ ...this.env, EVENT_STREAM_TYPE: 'memory' });
  }

  /** Builds the container and starts the loop (idempotent). */
  async start(): Promise<void> {
    if (this.loop) return;
    const config = this.config;
    const evaluator = sharedEvaluator(config);
    // Expressions and OpenAPI documents are worked on in worker threads and answer in real time:
    // time stands still until they have.
    if (!this.waitsForWorkers) {
      this.waitsForWorkers = true;
      this.clock.alsoWaitFor(() => evaluator.whenIdle());
      this.clock.alsoWaitFor(() => this.documents?.whenIdle() ?? Promise.resolve(false));
    }
    this.executor = await testExecutor(config, {
      expressionEvaluator: evaluator,
      clock: this.clock,
      random: this.random,
      logger: this.logger,
      metrics: this.metrics,
      broker: this.broker,
      faults: this.faults,
      grpcClient: this.grpc,
      messageBrokers: this.messageBrokers,
    });
    this.documents = this.executor.documents;
    this.loop = this.executor.loop;
    this.loop.start();
  }

  /**
   * Simulates a crash of the executor: from now on it reaches the stream no more (nothing it
   * still runs is settled or acknowledged). `start()` then builds a new executor with the same
   * consumer name over the same stream, as a restarted replica.
   */
  async crash(): Promise<void> {
    if (!this.executor || !this.loop) throw new Error('no executor is running');
    await this.executor.inbox.close();
    this.crashed.push(this.loop);
    this.loop = undefined;
    this.executor = undefined;
    this.stopping = undefined;
  }

  /** Waits in real time (HTTP calls are real I/O) until `done()` holds, letting all non-clock work run. */
  async until(what: string, done: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.clock.settle(20);
      if (done()) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Entries of the scenario's stream not yet delivered to the executor's group. */
  undeliveredCount(): number {
    return this.broker.undelivered(this.config.stream.group);
  }

  nextTaskId(taskName: string): string {
    this.seq++;
    this.lastTaskId = `task-${taskName}-${1756150540123456789n + BigInt(this.seq)}`;
    return this.lastTaskId;
  }

  /** The data object of a `task.requested` entry as the flunq worker builds it. */
  requestData(spec: TaskSpec, taskId = this.nextTaskId(spec.taskName)): Record<string, unknown> {
    return {
      task_id: taskId,
      task_name: spec.taskName,
      task_type: spec.taskType ?? 'set',
      tenant_id: TENANT,
      workflow_id: WORKFLOW,
      execution_id: EXECUTION,
      input: { task_name: spec.taskName, workflow_id: WORKFLOW, timestamp: '2025-08-25T19:35:40Z', ...(spec.input ?? {}) },
      context: spec.context ?? { variables: {} },
      config: { timeout: 300, retries: 3, parameters: spec.parameters ?? {}, ...(spec.config ?? {}) },
    };
  }

  /** XADDs a request entry with the worker's exact fields; `data` may be given raw (malformed events). */
  submitRaw(data: string | undefined, extra: Record<string, string> = {}, stream = STREAM): string {
    const fields: Record<string, string> = {
      id: `task-requested-${this.lastTaskId}`,
      source: 'worker-service',
      specversion: '1.0',
      type: 'io.flunq.task.requested',
      time: '2025-08-25T19:35:40Z',
      workflowid: WORKFLOW,
      executionid: EXECUTION,
      taskid: this.lastTaskId,
      tenantid: TENANT,
      ...extra,
    };
    if (data !== undefined) fields['data'] = data;
    return this.broker.append(stream, fields);
  }

  submit(spec: TaskSpec): string {
    const taskId = this.nextTaskId(spec.taskName);
    this.submitRaw(JSON.stringify(this.requestData(spec, taskId)));
    return taskId;
  }

  /** Lets every task that does not wait for the clock run to its end. */
  async settle(): Promise<void> {
    await this.start();
    await this.clock.settle(20);
  }

  entries(type?: string, stream = STREAM): StoredEntry[] {
    return this.broker.entries(stream).filter((e) => type === undefined || e.fields['type'] === type);
  }

  completions(): StoredEntry[] {
    return this.entries(TASK_COMPLETED);
  }

  deadLetters(): StoredEntry[] {
    return this.entries(TASK_DLQ);
  }

  /** The payload of the only completion of a task (fails when there is not exactly one). */
  completionOf(taskId = this.lastTaskId): CompletedPayload {
    const matching = this.completions().filter((e) => e.fields['taskid'] === taskId);
    if (matching.length !== 1) throw new Error(`expected exactly one completion for ${taskId}, found ${matching.length}`);
    return JSON.parse(matching[0]?.fields['data'] ?? 'null') as CompletedPayload;
  }

  pendingCount(stream = STREAM): number {
    return this.broker.pending(stream, this.config.stream.group).size;
  }

  async stop(): Promise<void> {
    if (!this.loop) return;
    this.stopping ??= this.loop.stop(this.config.executor.shutdownTimeoutMs);
    // Shutdown waits on the fake clock only if tasks are still running; push time past the deadline.
    while (this.loop.inFlightCount > 0) await this.clock.advance(this.config.executor.shutdownTimeoutMs);
    await this.stopping;
  }
}

setWorldConstructor(ExecutorWorld);
