/**
 * `npm run demo`: the executor in embedded mode (no Redis), a tiny example API on 127.0.0.1
 * with an OpenAPI document, and six example tasks (set, inject, wait, an HTTP call, an OpenAPI
 * call, and one of an unknown type that becomes a dead letter) submitted through `POST /tasks`,
 * each with a `traceparent` as a workflow's request would carry. Prints each outcome, then keeps
 * running with its web console at /console (the outcomes, their traces, the dead letter to replay)
 * until Ctrl-C; with `--once` it exits instead.
 * Exit code 0 when every task ended as expected, 1 otherwise.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import express from 'express';
import { createExecutor } from '../src/config/container';
import { loadConfig } from '../src/config/env';

const out = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

/** The example API: a pet store with two operations and its OpenAPI 3.0 document. */
async function startExampleApi(): Promise<{ url: string; close: () => Promise<void> }> {
  const app = express();
  app.use(express.json());
  const pets = new Map<number, { id: number; name: string; status: string }>([[42, { id: 42, name: 'Rex', status: 'available' }]]);
  let base = '';
  app.get('/pets/:petId', (req, res) => {
    const pet = pets.get(Number(req.params.petId));
    if (pet) res.json(pet);
    else res.status(404).json({ title: 'pet not found' });
  });
  app.post('/pets', (req, res) => {
    const body = req.body as { name?: unknown };
    const pet = { id: pets.size + 100, name: typeof body.name === 'string' ? body.name : 'unnamed', status: 'available' };
    pets.set(pet.id, pet);
    res.status(201).json(pet);
  });
  app.get('/openapi.json', (_req, res) => {
    res.json({
      openapi: '3.0.3',
      info: { title: 'Example pet store', version: '1.0.0' },
      servers: [{ url: base }],
      paths: {
        '/pets/{petId}': {
          get: {
            operationId: 'getPetById',
            parameters: [{ name: 'petId', in: 'path', required: true, schema: { type: 'integer' } }],
            responses: { '200': { description: 'the pet', content: { 'application/json': { schema: { type: 'object' } } } }, '404': { description: 'no such pet' } },
          },
        },
        '/pets': {
          post: {
            operationId: 'addPet',
            requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { name: { type: 'string' } } } } } },
            responses: { '201': { description: 'created', content: { 'application/json': { schema: { type: 'object' } } } } },
          },
        },
      },
    });
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface Example {
  name: string;
  type: string;
  parameters?: Record<string, unknown>;
  input?: Record<string, unknown>;
  /**
   * What the example shows: a success, or a failure that is also dead-lettered (a task type this
   * executor does not run: the failed completion lets the workflow go on, the dead letter waits for an operator).
   */
  expect?: 'dead_letter';
}

function examples(api: string): Example[] {
  return [
    { name: 'initialize', type: 'set', parameters: { set_data: { status: 'initialized', count: 3 } } },
    { name: 'environment', type: 'inject', parameters: { environment: 'demo', region: 'local' } },
    { name: 'pause', type: 'wait', parameters: { duration: '500ms' } },
    { name: 'fetchPetHttp', type: 'call', parameters: { call_type: 'http', url: `${api}/pets/42`, method: 'GET', headers: { Accept: 'application/json' } } },
    { name: 'fetchPetOpenApi', type: 'call', parameters: { call_type: 'openapi', document: { endpoint: `${api}/openapi.json` }, operation_id: 'getPetById', parameters: { petId: 42 } } },
    { name: 'beamUp', type: 'teleport', expect: 'dead_letter' },
  ];
}

/** A W3C trace context as a workflow engine would send it: a new trace, the workflow's span as the parent. */
function workflowTraceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

async function main(): Promise<number> {
  // Keeps the executor (and its web console) running after the examples until Ctrl-C; `--once` exits.
  const serve = !process.argv.includes('--once');
  const api = await startExampleApi();
  const config = loadConfig({
    ...process.env,
    EVENT_STREAM_TYPE: 'memory',
    EXECUTOR_SUBMIT_API: 'true',
    HEALTH_PORT: process.env['DEMO_PORT'] ?? '0',
    METRICS_PORT: process.env['DEMO_PORT'] ?? '0',
    HOSTNAME: 'demo',
    HEALTH_HOST: process.env['HEALTH_HOST'] ?? '127.0.0.1',
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
  });
  const { service, healthServer } = await createExecutor(config, { profile: 'embedded', logStream: process.stderr });
  await service.start();
  const base = `http://127.0.0.1:${healthServer?.port ?? 0}`;
  out(`executor (embedded) on ${base}; example API on ${api.url}`);
  out(`web console: ${base}/console${serve ? '' : ' (without --once the demo keeps it open)'}\n`);
  let failures = 0;
  try {
    for (const task of examples(api.url)) {
      const traceparent = workflowTraceparent();
      const res = await fetch(`${base}/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent },
        body: JSON.stringify({ task_type: task.type, task_name: task.name, input: task.input ?? {}, config: { timeout: 30, parameters: task.parameters ?? {} } }),
      });
      const body = (await res.json()) as { traceparent?: string; completion?: { success?: boolean; output?: unknown; error?: string; duration_ms?: number } };
      const c = body.completion;
      const ok = res.status === 200 && (task.expect === 'dead_letter' ? c?.success === false : c?.success === true);
      if (!ok) failures++;
      const result = c?.success ? 'success' : `failed: ${c?.error ?? `HTTP ${res.status}`}${ok ? ' (as expected; it is also a dead letter: replay it from the console)' : ''}`;
      out(`== ${task.name} (${task.type}): ${result} in ${c?.duration_ms ?? '?'} ms`);
      out(`   trace ${traceparent.split('-')[1]}: request traceparent ${traceparent} → completion ${body.traceparent ?? '(none)'}`);
      // A call's output without its response headers, to keep the tour short.
      const raw = c?.output as Record<string, unknown> | undefined;
      const output = JSON.stringify(raw && 'status_code' in raw ? { status_code: raw['status_code'], data: raw['data'] ?? raw['content'] } : (raw ?? body));
      out(`   output ${output.length > 240 ? `${output.slice(0, 240)}…` : output}`);
    }
    const letters = (await (await fetch(`${base}/console/api/dead-letters`)).json()) as { items?: { taskName?: string; reason?: string }[] };
    const items = letters.items ?? [];
    if (items.length !== 1) failures++;
    out(`\ndead letters: ${items.length} (${items.map((d) => `${d.taskName ?? '?'}: ${d.reason ?? '?'}`).join(', ')})\n`);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    out('metrics (excerpt):');
    for (const line of metrics.split('\n')) if (/^executor_(tasks_total|dead_letters_total|openapi_cache_total|circuit_breakers|retries_total|task_duration_seconds_count)\b.* /.test(line) && !/ 0$/.test(line)) out(`  ${line}`);
    if (serve) {
      out(`\nserving until Ctrl-C: the console is at ${base}/console (Outcomes: click a task to see its completion and its trace; Dead letters: replay beamUp); POST ${base}/tasks takes more tasks`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
  } finally {
    await service.stop();
    await api.close();
  }
  out(failures === 0 ? '\nall example tasks ended as expected' : `\n${failures} example task(s) did not end as expected`);
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
