import 'reflect-metadata';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { FakeClock } from '../../support/fake-clock';
import { InMemoryLogger } from '../../support/in-memory-logger';
import { InMemoryMetrics } from '../../support/in-memory-metrics';
import { InMemoryStreamBroker } from '../../../src/adapters/memory/in-memory-stream-broker';
import { SeededRandom } from '../../support/seeded-random';
import { Executor as ComposedExecutor } from '../../../src/config/container';
import { loadConfig } from '../../../src/config/env';
import { CompletedPayload } from '../../../src/domain/flunq-events';
import { testExecutor } from '../../support/test-profile';

const STREAM = 'tenant:acme:workflow:wf-1:events';

/** A recorded request of the local test server. */
export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body's bytes exactly as received. */
  raw: Buffer;
  socket: number;
}

export type Route = (req: Seen, res: http.ServerResponse) => void;

/** An HTTP server on 127.0.0.1 (random port) that records every request. */
export class LocalServer {
  readonly seen: Seen[] = [];
  private server: http.Server | undefined;
  private sockets = new Map<object, number>();
  port = 0;

  constructor(private readonly route: Route) {}

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let socket = this.sockets.get(req.socket);
        if (socket === undefined) {
          socket = this.sockets.size + 1;
          this.sockets.set(req.socket, socket);
        }
        const raw = Buffer.concat(chunks);
        const seen: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: raw.toString('utf8'), raw, socket };
        this.seen.push(seen);
        this.route(seen, res);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

export function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** The executor (test profile, real HTTP adapters) with a task submission helper. */
export class Executor {
  readonly clock = new FakeClock();
  readonly broker = new InMemoryStreamBroker(this.clock);
  readonly metrics = new InMemoryMetrics();
  readonly logger = new InMemoryLogger();
  private executor: ComposedExecutor | undefined;
  private seq = 0;

  constructor(private readonly env: Record<string, string> = {}) {}

  async start(): Promise<void> {
    const config = loadConfig({ EXECUTOR_CONCURRENCY: '8', HOSTNAME: 'test', ...this.env, EVENT_STREAM_TYPE: 'memory' });
    this.executor = await testExecutor(config, { clock: this.clock, random: new SeededRandom(1), logger: this.logger, metrics: this.metrics, broker: this.broker });
    this.executor.loop.start();
  }

  submit(taskName: string, parameters: Record<string, unknown>, extra: { input?: Record<string, unknown>; context?: Record<string, unknown>; config?: Record<string, unknown>; tenant?: string } = {}): string {
    const tenant = extra.tenant ?? 'acme';
    this.seq++;
    const taskId = `task-${taskName}-${1756150540123456789n + BigInt(this.seq)}`;
    const data = {
      task_id: taskId,
      task_name: taskName,
      task_type: 'call',
      tenant_id: tenant,
      workflow_id: 'wf-1',
      execution_id: 'ex-1',
      input: { task_name: taskName, workflow_id: 'wf-1', timestamp: '2025-08-25T19:35:40Z', ...(extra.input ?? {}) },
      context: extra.context ?? { variables: {} },
      config: { timeout: 300, retries: 3, parameters, ...(extra.config ?? {}) },
    };
    this.broker.append(STREAM, {
      id: `task-requested-${taskId}`,
      source: 'worker-service',
      specversion: '1.0',
      type: 'io.flunq.task.requested',
      time: '2025-08-25T19:35:40Z',
      workflowid: 'wf-1',
      executionid: 'ex-1',
      taskid: taskId,
      tenantid: tenant,
      data: JSON.stringify(data),
    });
    return taskId;
  }

  /** Waits in real time (sockets are real) for the completion of a task. */
  async completion(taskId: string, timeoutMs = 5000): Promise<CompletedPayload> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const entry = this.broker.entries(STREAM).find((e) => e.fields['type'] === 'io.flunq.task.completed' && e.fields['taskid'] === taskId);
      if (entry) return JSON.parse(entry.fields['data'] ?? 'null') as CompletedPayload;
      if (this.broker.entries(STREAM).some((e) => e.fields['type'] === 'io.flunq.task.dlq' && e.fields['taskid'] === taskId)) throw new Error(`task ${taskId} was dead-lettered`);
      if (Date.now() > until) throw new Error(`no completion for ${taskId} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async run(taskName: string, parameters: Record<string, unknown>, extra: Parameters<Executor['submit']>[2] = {}): Promise<CompletedPayload> {
    return this.completion(this.submit(taskName, parameters, extra));
  }

  async stop(): Promise<void> {
    await this.executor?.loop.stop(1000);
    await this.executor?.dispose();
  }
}
