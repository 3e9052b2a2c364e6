/**
 * The cost of checking an OpenAPI call against its document (`validate`): the call handler with the
 * real HTTP client and document workers, against a local server serving the Petstore (OpenAPI 3.0)
 * and answering `addPet` (a JSON body checked on the way out) and `getPetById` (a JSON response
 * checked on the way back). Each call runs with `validate: none` and with `validate: both`, in
 * alternating rounds, one call at a time; the difference is what validation adds per call. The
 * first check of each operation compiles its schemas (measured apart).
 */
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_HTTP_CLIENT_SETTINGS } from '../src/adapters/http/http-client-settings';
import { UndiciHttpClient } from '../src/adapters/http/undici-http-client';
import { OpenApiDocumentWorkers } from '../src/adapters/openapi/document-worker-client';
import { normalizeDocument, parseDocumentText } from '../src/adapters/openapi/document-parsing';
import { OasDocumentSource } from '../src/adapters/openapi/oas-document-source';
import { documentCacheBounds } from '../src/adapters/openapi/process-document-cache';
import { DereferencedOpenApiDocument } from '../src/adapters/openapi/openapi-document';
import { SystemClock } from '../src/adapters/system/system-clock';
import { CallTaskHandler } from '../src/application/handlers/call/call.handler';
import { CircuitBreaker } from '../src/application/ports/circuit-breaker.port';
import { Logger } from '../src/application/ports/logger.port';
import { Metrics } from '../src/application/ports/metrics.port';
import { TaskContext } from '../src/application/ports/task-handler.port';
import { JsonObject } from '../src/domain/json';
import { CountingMetrics } from './lib/counting-metrics';
import { median } from './lib/stats';

export interface ValidationGoalContext {
  quick: boolean;
  rows: { goal: string; metric: string; executor: string; baseline: string; ratio: string; target: string; met: string }[];
  notes: string[];
  log(message: string): void;
}

const PET = { id: 7, name: 'doggie', photoUrls: ['https://example.test/a.png'], status: 'available', category: { id: 1, name: 'dogs' }, tags: [{ id: 1, name: 'good' }] };

const passThrough = { run: <T>(_scope: unknown, call: () => Promise<T>): Promise<T> => call(), close: () => Promise.resolve() } as unknown as CircuitBreaker;
const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };

function petstoreDocument(origin: string): string {
  const file = path.join(path.dirname(require.resolve('@readme/oas-examples/package.json')), '3.0/json/petstore.json');
  return fs.readFileSync(file, 'utf8').split('http://petstore.swagger.io').join(origin);
}

function context(parameters: JsonObject, n: number): TaskContext {
  const controller = new AbortController();
  const context: TaskContext = {
    request: {
      eventId: `e${n}`, source: 'bench', taskId: `task-bench-${n}`, taskName: 'bench', taskType: 'call', tenantId: 'bench', workflowId: 'wf', executionId: 'ex',
      input: {}, context: { workflowInput: undefined, variables: {}, taskOutputs: {}, raw: {} }, config: { timeoutMs: 30_000, parameters, raw: {} },
    },
    signal: controller.signal,
    deadline: Date.now() + 30_000,
    logger: silent,
    resolve: (value) => Promise.resolve(value),
    scope: {},
    workflowRetries: false,
    operationKey: `bench/${n}`,
    taskTypes: ['call'],
    runInner: () => Promise.reject(new Error('not used')),
  };
  return context;
}

export async function runValidationGoal(ctx: ValidationGoalContext): Promise<void> {
  const calls = ctx.quick ? 300 : 1_500;
  const rounds = ctx.quick ? 2 : 4;
  let origin = '';
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/openapi.json') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(petstoreDocument(origin));
      const body = req.method === 'POST' ? Buffer.concat(chunks).toString('utf8') : JSON.stringify(PET);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const metrics: Metrics = new CountingMetrics();
  const client = new UndiciHttpClient(metrics, { ...DEFAULT_HTTP_CLIENT_SETTINGS });
  const workers = new OpenApiDocumentWorkers({ maxWorkers: 1, maxMemoryMb: 512 });
  const documents = new OasDocumentSource(client, new SystemClock(), metrics, { cacheTtlMs: 3_600_000, requestTimeoutMs: 10_000, maxDocumentBytes: 8 * 1024 * 1024, bounds: documentCacheBounds(1) }, workers);
  const handler = new CallTaskHandler(client, passThrough, documents, new SystemClock());
  const task = (operation: 'getPetById' | 'addPet', validate: string): JsonObject => ({
    call_type: 'openapi',
    document: { endpoint: `${origin}/openapi.json` },
    operation_id: operation,
    validate,
    parameters: operation === 'getPetById' ? { petId: 7 } : { body: { name: 'doggie', photoUrls: ['https://example.test/a.png'], status: 'available', tags: [{ id: 1, name: 'good' }] } },
  });
  let n = 0;
  const runCalls = async (parameters: JsonObject, count: number): Promise<number> => {
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      const outcome = await handler.execute(context(parameters, n++));
      if (!outcome.success && !/not declared/.test(outcome.error.detail)) throw new Error(`bench call failed: ${outcome.error.detail}`);
    }
    return ((performance.now() - started) * 1000) / count;
  };
  try {
    for (const operation of ['getPetById', 'addPet'] as const) {
      await runCalls(task(operation, 'none'), 50);
      const compileStarted = performance.now();
      await runCalls(task(operation, 'both'), 1);
      const firstMs = performance.now() - compileStarted;
      await runCalls(task(operation, 'both'), 50);
      const without: number[] = [];
      const withValidation: number[] = [];
      for (let r = 0; r < rounds; r++) {
        // Alternating which goes first: neither always runs on a warmer process.
        if (r % 2 === 0) without.push(await runCalls(task(operation, 'none'), calls));
        withValidation.push(await runCalls(task(operation, 'both'), calls));
        if (r % 2 === 1) without.push(await runCalls(task(operation, 'none'), calls));
      }
      const off = median(without);
      const on = median(withValidation);
      ctx.log(`  ${operation}: ${off.toFixed(0)} µs per call without validation, ${on.toFixed(0)} µs with both sides checked (+${(on - off).toFixed(0)} µs); first checked call (schemas compiled) ${firstMs.toFixed(1)} ms`);
      ctx.rows.push({ goal: 'validation', metric: `${operation} µs/call, validate both vs none`, executor: on.toFixed(0), baseline: off.toFixed(0), ratio: (on / off).toFixed(2), target: 'report', met: '-' });
    }
    // The checks alone, in this thread (Ajv, schemas compiled) and through the document worker (what a call waits for).
    const parsed = new DereferencedOpenApiDocument(await normalizeDocument(parseDocumentText(petstoreDocument(origin), 'application/json')), `${origin}/openapi.json`);
    const body = { name: 'doggie', photoUrls: ['https://example.test/a.png'], status: 'available', tags: [{ id: 1, name: 'good' }] };
    const checks = ctx.quick ? 5_000 : 20_000;
    parsed.validateRequest('addPet', { body });
    parsed.validateResponse('getPetById', { status: 200, contentType: 'application/json', body: PET });
    let started = performance.now();
    for (let i = 0; i < checks; i++) {
      parsed.validateRequest('addPet', { body });
      parsed.validateResponse('getPetById', { status: 200, contentType: 'application/json', body: PET });
    }
    const inThread = ((performance.now() - started) * 1000) / checks;
    const loaded = await documents.load('bench', `${origin}/openapi.json`);
    started = performance.now();
    for (let i = 0; i < checks / 10; i++) {
      await loaded.validateRequest('addPet', { body });
      await loaded.validateResponse('getPetById', { status: 200, contentType: 'application/json', body: PET });
    }
    const throughWorker = ((performance.now() - started) * 1000) / (checks / 10);
    ctx.log(`  the two checks alone: ${inThread.toFixed(1)} µs in this thread (Ajv), ${throughWorker.toFixed(0)} µs through the document worker (two round trips)`);
    ctx.rows.push({ goal: 'validation', metric: 'request + response check µs (worker / in-thread)', executor: throughWorker.toFixed(0), baseline: inThread.toFixed(1), ratio: '', target: 'report', met: '-' });
    // addPet declares no 200: its response check reports the status (the call fails, as a contract breach should); the request check is what it measures.
    ctx.notes.push('validation: one call at a time through the call handler (real HTTP client, document worker); the request check rides on the preparation\'s trip to the document worker, the response check is one more trip; addPet\'s response check fails on its undeclared 200, as designed');
  } finally {
    await workers.close();
    await client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
