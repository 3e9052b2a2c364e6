import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { AddressInfo, isIP } from 'node:net';
import express, { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import promBundle from 'express-prom-bundle';
import { Registry } from 'prom-client';
import { SubmitTask } from '../../application/operations/submit-task.use-case';
import { Logger } from '../../application/ports/logger.port';
import { ServiceStatus } from '../../application/ports/service-status.port';
import { submissionInput, traceHeaders } from '../flunq-wire/hand-submitted';
import { TRACEPARENT_EXTENSION } from '../../domain/flunq-event';

export interface HealthServerOptions {
  healthPort: number;
  /** Serves /metrics on the health server when equal to `healthPort`. */
  metricsPort: number;
  /** Address to listen on (default all interfaces: probes come from outside the pod). */
  host?: string;
  /**
   * Bearer token `POST /tasks` demands (EXECUTOR_SUBMIT_TOKEN). Without one, `POST /tasks` is
   * served only when `host` is a loopback address. Probes and /metrics never need it.
   */
  submitToken?: string;
}

export interface HealthServerDeps {
  status: ServiceStatus;
  /** The registry of the service metrics; the HTTP route metrics are added to it. */
  registry: Registry;
  logger: Logger;
  /** When given, `POST /tasks` accepts task requests (embedded mode only, or EXECUTOR_SUBMIT_API). */
  submitTask?: SubmitTask;
}

const ROUTES = new Set(['/health', '/healthz', '/readyz', '/metrics', '/tasks']);

function isLoopback(host: string | undefined): boolean {
  if (host === undefined) return false;
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Express 5: `/health` (the path flunq's container health checks probe), `/healthz` (liveness),
 * `/readyz` (readiness, 503 with a JSON reason), `/metrics` (Prometheus), and in embedded mode
 * `POST /tasks`. `/metrics` moves to its own server when METRICS_PORT differs from HEALTH_PORT.
 */
export class HealthServer {
  private servers: http.Server[] = [];

  /** Extra route trees (the web console), added before start. */
  private readonly mounts: { path: string; handler: RequestHandler }[] = [];

  private readonly tokenDigest: Buffer | undefined;

  constructor(
    private readonly options: HealthServerOptions,
    private readonly deps: HealthServerDeps,
  ) {
    this.tokenDigest = options.submitToken ? digest(options.submitToken) : undefined;
  }

  /**
   * Starts listening; resolves once every port is bound (rejects when a port is taken, or when
   * `POST /tasks` would be open to a network without a token).
   */
  async start(): Promise<void> {
    if (this.deps.submitTask && !this.tokenDigest && !isLoopback(this.options.host)) {
      throw new Error(`POST /tasks would listen on ${this.options.host ?? 'all interfaces'} without a token: set EXECUTOR_SUBMIT_TOKEN or listen on a loopback address`);
    }
    const separate = this.options.metricsPort !== this.options.healthPort;
    const app = express();
    app.disable('x-powered-by');
    const metricsApp = separate ? express() : undefined;
    metricsApp?.disable('x-powered-by');
    app.use(
      promBundle({
        promRegistry: this.deps.registry,
        includeMethod: true,
        includePath: true,
        // Only fixed route names as labels: anything else is `other` (no unbounded URL paths).
        normalizePath: (req) => (ROUTES.has(req.path) ? req.path : this.mountOf(req.originalUrl.split('?')[0] ?? '')),
        autoregister: !separate,
        ...(metricsApp ? { metricsApp } : {}),
        buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10],
      }),
    );
    this.routes(app);
    this.servers.push(await this.listen(app, this.options.healthPort));
    if (metricsApp) this.servers.push(await this.listen(metricsApp, this.options.metricsPort));
    this.deps.logger.info('health server listening', { healthPort: this.port, metricsPort: this.metricsPort, submitApi: this.deps.submitTask !== undefined });
  }

  /** Serves `handler` under `path` (for example `/console`); call before `start`. */
  mount(path: string, handler: RequestHandler): void {
    this.mounts.push({ path, handler });
  }

  /** The mount a path falls under (one label for all of its routes), or `other`. */
  private mountOf(path: string): string {
    return this.mounts.find((m) => path === m.path || path.startsWith(`${m.path}/`))?.path ?? 'other';
  }

  /** The bound health port (useful with port 0). */
  get port(): number {
    return (this.servers[0]?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** The address the health server is bound to (`127.0.0.1`, `::`, …). */
  get address(): string | undefined {
    return (this.servers[0]?.address() as AddressInfo | null)?.address;
  }

  /** The bound metrics port (the health port when shared). */
  get metricsPort(): number {
    return ((this.servers[1] ?? this.servers[0])?.address() as AddressInfo | null)?.port ?? 0;
  }

  async close(): Promise<void> {
    const servers = this.servers;
    this.servers = [];
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve, reject) => {
            server.close((error) => (error ? reject(error) : resolve()));
            server.closeAllConnections();
          }),
      ),
    );
  }

  private routes(app: Express): void {
    const { status } = this.deps;
    app.get('/health', (_req, res) => {
      const live = status.live();
      const ready = status.ready();
      res.status(live.ok ? 200 : 503).json({ status: live.ok ? 'UP' : 'DOWN', live: live.ok, ready: ready.ok, ...(ready.reason ? { reason: ready.reason } : {}) });
    });
    app.get('/healthz', (_req, res) => {
      const live = status.live();
      res.status(live.ok ? 200 : 503).json({ status: live.ok ? 'ok' : 'failing', ...(live.reason ? { reason: live.reason } : {}) });
    });
    app.get('/readyz', (_req, res) => {
      const ready = status.ready();
      res.status(ready.ok ? 200 : 503).json({ status: ready.ok ? 'ready' : 'not_ready', ...(ready.reason ? { reason: ready.reason } : {}) });
    });
    const submitTask = this.deps.submitTask;
    if (submitTask) {
      // Authentication first: an unauthenticated body is never parsed.
      app.post('/tasks', (req, res, next) => this.authenticate(req, res, next), express.json({ limit: '1mb' }), (req, res, next) => {
        this.submit(submitTask, req, res).catch(next);
      });
    }
    for (const { path, handler } of this.mounts) app.use(path, handler);
    app.use((_req: Request, res: Response) => {
      res.status(404).json({ error: 'not found' });
    });
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      const status = typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number' ? error.status : 500;
      if (status >= 500) this.deps.logger.error('health server request failed', { error: error instanceof Error ? error.message : String(error) });
      res.status(status).json({ error: status < 500 ? 'bad request' : 'internal error' });
    });
  }

  /** `Authorization: Bearer <token>`, compared in constant time (digests of equal length); 401 problem otherwise. */
  private authenticate(req: Request, res: Response, next: NextFunction): void {
    const expected = this.tokenDigest;
    if (!expected) return next();
    const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(req.headers.authorization ?? '');
    const given = digest(match?.[1] ?? '');
    if (timingSafeEqual(given, expected) && match) return next();
    this.deps.logger.warn('POST /tasks refused: missing or wrong bearer token', { remoteAddress: req.socket.remoteAddress });
    res
      .status(401)
      .set('WWW-Authenticate', 'Bearer realm="flunq-executor"')
      .type('application/problem+json')
      .send(
        JSON.stringify({
          type: 'https://serverlessworkflow.io/spec/1.0.0/errors/authentication',
          title: 'Unauthorized',
          status: 401,
          detail: 'POST /tasks needs the header Authorization: Bearer <EXECUTOR_SUBMIT_TOKEN>',
        }),
      );
  }

  /** `POST /tasks`: the body is the task request; answers with the outcome (or why there is none). */
  private async submit(submitTask: SubmitTask, req: Request, res: Response): Promise<void> {
    const parsed = submissionInput(req.body);
    // The W3C `traceparent` header of the caller (a malformed one is ignored, as the
    // recommendation says), carried by the request like a workflow's trace context.
    const trace = traceHeaders(req.headers);
    const input = 'request' in parsed && trace ? { ...parsed, trace } : parsed;
    if ('problem' in input) {
      res.status(400).json({ error: input.problem });
      return;
    }
    const result = await submitTask.execute(input);
    switch (result.status) {
      case 'invalid':
        res.status(400).json({ error: result.problem });
        return;
      case 'timeout':
        res.status(504).json({ error: `no completion within ${result.waitedMs} ms`, task_id: result.taskId, stream: result.location });
        return;
      default: {
        const { outcome } = result;
        let payload: unknown = null;
        try {
          payload = outcome.data === undefined ? null : JSON.parse(outcome.data);
        } catch {
          payload = outcome.data;
        }
        const traceparent = outcome.extensions[TRACEPARENT_EXTENSION];
        res.status(200).json({ status: result.status, stream: result.location, task_id: result.taskId, type: outcome.type, reason: outcome.extensions['reason'], traceparent, completion: payload });
      }
    }
  }

  private async listen(app: Express, port: number): Promise<http.Server> {
    const server = http.createServer(app);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.deps.logger.error('health server error', { error: error.message }));
    return server;
  }
}
