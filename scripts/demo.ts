/**
 * `npm run demo`: the executor in embedded mode (no Redis), a tiny example API on 127.0.0.1
 * with an OpenAPI document, and five example tasks (set, inject, wait, an HTTP call and an
 * OpenAPI call) submitted through `POST /tasks`. Prints each task.completed payload, then exits
 * (with `--serve`, keeps running with its web console at /console until Ctrl-C).
 * Exit code 0 when every task succeeded, 1 otherwise.
 */
import 'reflect-metadata';
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

function examples(api: string): { name: string; type: string; parameters: Record<string, unknown>; input?: Record<string, unknown> }[] {
  return [
    { name: 'initialize', type: 'set', parameters: { set_data: { status: 'initialized', count: 3 } } },
    { name: 'environment', type: 'inject', parameters: { environment: 'demo', region: 'local' } },
    { name: 'pause', type: 'wait', parameters: { duration: '500ms' } },
    { name: 'fetchPetHttp', type: 'call', parameters: { call_type: 'http', url: `${api}/pets/42`, method: 'GET', headers: { Accept: 'application/json' } } },
    { name: 'fetchPetOpenApi', type: 'call', parameters: { call_type: 'openapi', document: { endpoint: `${api}/openapi.json` }, operation_id: 'getPetById', parameters: { petId: 42 } } },
  ];
}

async function main(): Promise<number> {
  // `--serve`: keep the executor (and its web console) running after the examples, until Ctrl-C.
  const serve = process.argv.includes('--serve');
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
  out(`web console: ${base}/console${serve ? '' : ' (run `npm run demo -- --serve` to keep it open)'}\n`);
  let failures = 0;
  try {
    for (const task of examples(api.url)) {
      const res = await fetch(`${base}/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ task_type: task.type, task_name: task.name, input: task.input ?? {}, config: { timeout: 30, parameters: task.parameters } }),
      });
      const body = (await res.json()) as { completion?: { success?: boolean; output?: unknown; error?: string; duration_ms?: number } };
      const c = body.completion;
      const ok = res.status === 200 && c?.success === true;
      if (!ok) failures++;
      out(`== ${task.name} (${task.type}): ${ok ? 'success' : `FAILED ${c?.error ?? `HTTP ${res.status}`}`} in ${c?.duration_ms ?? '?'} ms`);
      out(JSON.stringify(c ?? body, null, 2));
      out('');
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    out('metrics (excerpt):');
    for (const line of metrics.split('\n')) if (/^executor_(tasks_total|dead_letters_total|openapi_cache_total|circuit_breakers|retries_total|task_duration_seconds_count)\b.* /.test(line) && !/ 0$/.test(line)) out(`  ${line}`);
    if (serve) {
      out(`\nserving until Ctrl-C: the console is at ${base}/console, POST ${base}/tasks takes more tasks`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
  } finally {
    await service.stop();
    await api.close();
  }
  out(failures === 0 ? '\nall example tasks succeeded' : `\n${failures} example task(s) failed`);
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
