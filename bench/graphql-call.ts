/**
 * What a `call: graphql` task costs next to a raw client call: the same GraphQL query sent one at a
 * time to a graphql-js server in a child process (so its CPU is not counted), by
 *   raw       undici's `request` (POST, JSON body, parse the answer): the least any client pays;
 *   http      an executor task `call: http` posting the same body (the existing HTTP path);
 *   graphql   an executor task `call: graphql` (parsing, operation kind, answer mapping);
 *   validate  the same with `validate: true` (the schema cached after the first call).
 * The executor runs embedded (in-process stream, as `flunq-executor run`), tasks submitted one by
 * one and awaited: µs per call is the round trip, CPU µs per call is this process's (all threads).
 *
 *   node --require ts-node/register/transpile-only bench/graphql-call.ts [--only=raw,graphql] [--calls=2000]
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { request } from 'undici';
import { createExecutor } from '../src/config/container';
import { loadConfig } from '../src/config/env';

const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : undefined;
const callsArg = process.argv.find((a) => a.startsWith('--calls='));
const CALLS = callsArg ? Number(callsArg.slice('--calls='.length)) : 2000;
const ROUNDS = 3;
const QUERY = 'query User($id: ID!) { user(id: $id) { id name email } }';

const SERVER = `
const http = require('node:http');
const { buildSchema, graphql } = require('graphql');
const schema = buildSchema('type User { id: ID!, name: String!, email: String } type Query { user(id: ID!): User }');
const rootValue = { user: ({ id }) => ({ id, name: 'Ada', email: 'ada@example.test' }) };
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const result = await graphql({ schema, source: body.query, rootValue, variableValues: body.variables, operationName: body.operationName });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(result));
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

async function startServer(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['-e', SERVER], { cwd: path.resolve(__dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8').trim()));
    child.once('exit', (code) => reject(new Error(`the GraphQL server exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}/graphql`, stop: () => child.kill() };
}

type Call = (i: number) => Promise<void>;

async function measure(call: Call): Promise<{ wallUs: number; cpuUs: number }> {
  for (let i = 0; i < 100; i++) await call(i);
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) await call(i);
  const wallUs = Number(process.hrtime.bigint() - started) / 1000 / CALLS;
  const used = process.cpuUsage(cpu);
  return { wallUs, cpuUs: (used.user + used.system) / CALLS };
}

void (async () => {
  const server = await startServer();
  const config = loadConfig({ EVENT_STREAM_TYPE: 'memory', LOG_LEVEL: 'error', EXECUTOR_CONCURRENCY: '4', HOSTNAME: 'bench' });
  const executor = await createExecutor(config, { profile: 'embedded', http: false, logStream: process.stderr });
  await executor.service.start();
  const submit = executor.submitTask!;
  const task = (parameters: Record<string, unknown>): Call => async (i) => {
    const result = await submit.execute({ request: { task_type: 'call', task_name: 'bench', config: { parameters }, input: { id: String(i) } } });
    if (result.status !== 'completed') throw new Error(`task ${result.status}`);
    const payload = JSON.parse(result.outcome.data ?? 'null') as { success: boolean; error: string };
    if (!payload.success) throw new Error(payload.error);
  };
  const body = (i: number): string => JSON.stringify({ query: QUERY, variables: { id: String(i) }, operationName: 'User' });
  const modes: Record<string, Call> = {
    raw: async (i) => {
      const answer = await request(server.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: body(i) });
      const json = (await answer.body.json()) as { data?: unknown };
      if (answer.statusCode !== 200 || !json.data) throw new Error('bad answer');
    },
    http: task({ call_type: 'http', method: 'POST', url: server.url, body: { query: QUERY, variables: { id: '${ .input.id }' }, operationName: 'User' } }),
    graphql: task({ call_type: 'graphql', endpoint: server.url, query: QUERY, variables: { id: '${ .input.id }' }, operationName: 'User' }),
    validate: task({ call_type: 'graphql', endpoint: server.url, query: QUERY, variables: { id: '${ .input.id }' }, operationName: 'User', validate: true }),
  };
  const results = new Map<string, { wallUs: number; cpuUs: number }[]>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, call] of Object.entries(modes)) {
        if (only && !only.has(name)) continue;
        const list = results.get(name) ?? [];
        list.push(await measure(call));
        results.set(name, list);
      }
    }
  } finally {
    await executor.service.stop();
    server.stop();
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  process.stdout.write(`GraphQL call, ${CALLS} sequential calls per round, median of ${ROUNDS} rounds (node ${process.version})\n`);
  process.stdout.write('mode      µs/call  CPU µs/call\n');
  for (const [name, list] of results) {
    process.stdout.write(`${name.padEnd(9)} ${median(list.map((r) => r.wallUs)).toFixed(0).padStart(7)}  ${median(list.map((r) => r.cpuUs)).toFixed(0).padStart(11)}\n`);
  }
})().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
