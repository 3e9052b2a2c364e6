/**
 * Hostile input against the built service, a private Redis and a steady stream of ordinary tasks
 * from other tenants: every probe ends in a clear failed completion or dead letter within its
 * timeout (or succeeds, where it is legitimate work), the other tasks keep their latency, /healthz
 * keeps answering, and SIGTERM still stops the service.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { entriesOfType, requestFields, streamKey, xadd } from '../support/flunq';
import { startRedis, TestRedis } from '../support/redis-server';
import { buildService, ServiceProcess, startService } from '../support/service-process';

const COMPLETED = 'io.flunq.task.completed';
const DLQ = 'io.flunq.task.dlq';
const EXAMPLES = path.dirname(require.resolve('@readme/oas-examples/package.json'));

let redis: TestRedis;
let client: Redis;
let api: http.Server;
let apiOrigin: string;
let service: ServiceProcess;
let healthPort: number;

/** The Petstore with its paths repeated until the JSON is about 8 MB. */
function largeDocument(origin: string): string {
  const base = JSON.parse(fs.readFileSync(path.join(EXAMPLES, '3.0/json/petstore.json'), 'utf8')) as { paths: Record<string, Record<string, { operationId?: string }>> };
  const paths: Record<string, unknown> = {};
  let size = 0;
  for (let i = 0; size < 8_000_000; i++) {
    for (const [p, item] of Object.entries(base.paths)) {
      const copy = JSON.parse(JSON.stringify(item)) as Record<string, { operationId?: string }>;
      for (const operation of Object.values(copy)) if (operation.operationId) operation.operationId += `_${i}`;
      paths[`/v${i}${p}`] = copy;
      size += JSON.stringify(copy).length;
    }
  }
  return JSON.stringify({ ...base, servers: [{ url: `${origin}/api` }], paths });
}

function nested(levels: number): string {
  return '['.repeat(levels) + ']'.repeat(levels);
}

interface Probe {
  name: string;
  fields: Record<string, string>;
  /** What the probe must end in. */
  expect: { success: true } | { success: false; code: string; deadLetter?: boolean };
  /** Its timeout (the request's config.timeout), seconds. */
  timeoutS: number;
}

const EVIL = streamKey('evil', 'wf_probe');

function request(taskId: string, taskType: string, parameters: Record<string, unknown>, input: Record<string, unknown> = {}): Record<string, string> {
  const fields = requestFields({ tenant: 'evil', workflow: 'wf_probe', taskId, taskName: taskId.split('-')[1] ?? 'probe', taskType, parameters });
  const data = JSON.parse(fields['data'] as string) as { input: Record<string, unknown>; config: Record<string, unknown> };
  Object.assign(data.input, input);
  data.config['timeout'] = 5;
  return { ...fields, data: JSON.stringify(data) };
}

/** A request whose `input` (or `config.parameters`) nests 100,000 levels deep (written by hand: JSON.stringify would overflow). */
function deepRequest(taskId: string, where: 'input' | 'parameters'): Record<string, string> {
  const fields = request(taskId, 'set', { value: 1 });
  const data = fields['data'] as string;
  const marker = where === 'input' ? '"input":{' : '"parameters":{';
  const at = data.indexOf(marker) + marker.length;
  return { ...fields, data: `${data.slice(0, at)}"deep":${nested(100_000)},${data.slice(at)}` };
}

function probes(): Probe[] {
  const aaa = `${'a'.repeat(34)}!`;
  return [
    { name: 'set `${ def f: f; f }`', fields: request('task-recursion-1', 'set', { v: '${ def f: f; f }' }), expect: { success: false, code: 'EXPRESSION_TIMEOUT' }, timeoutS: 5 },
    { name: 'set `${ last(range(1e12)) }`', fields: request('task-count-1', 'set', { v: '${ last(range(1e12)) }' }), expect: { success: false, code: 'EXPRESSION_TIMEOUT' }, timeoutS: 5 },
    { name: 'set `${ repeat(.) }` (its first output)', fields: request('task-repeat-1', 'set', { v: '${ repeat(.) | .input.task_name }' }), expect: { success: true }, timeoutS: 5 },
    { name: 'set `${ [repeat(.)] }` (grows without end)', fields: request('task-grow-1', 'set', { v: '${ [repeat(.)] }' }), expect: { success: false, code: 'EXPRESSION_' }, timeoutS: 5 },
    { name: 'set `${ [range(1e6)] | length }`', fields: request('task-million-1', 'set', { v: '${ [range(1e6)] | length }' }), expect: { success: true }, timeoutS: 5 },
    {
      name: 'set with ten chained backtracking `test()` calls',
      fields: request('task-tests-1', 'set', { v: `\${ [range(10)] | map("${'a'.repeat(30)}!" | test("(a+)+b")) }` }),
      // jq's regex engine gives up by itself (a retry limit) or is stopped at the time limit.
      expect: { success: false, code: 'EXPRESSION_' },
      timeoutS: 5,
    },
    {
      name: 'try with catch filter `(a+)+b` against a detail `aaa…!`',
      fields: request('task-pattern-1', 'try', {}, { try_catch_config: { try: { wait: aaa }, catch: { errors: { with: { details: '(a+)+b' } } } } }),
      expect: { success: false, code: 'INVALID_DURATION' },
      timeoutS: 5,
    },
    { name: '100,000 nesting levels in `input`', fields: deepRequest('task-deepinput-1', 'input'), expect: { success: false, code: 'MALFORMED_EVENT', deadLetter: true }, timeoutS: 5 },
    { name: '100,000 nesting levels in `config.parameters`', fields: deepRequest('task-deepparams-1', 'parameters'), expect: { success: false, code: 'MALFORMED_EVENT', deadLetter: true }, timeoutS: 5 },
    {
      name: 'a 2 MB entry (limit 1 MB)',
      fields: request('task-huge-1', 'set', { blob: 'x'.repeat(2 * 1024 * 1024) }),
      expect: { success: false, code: 'ENTRY_TOO_LARGE', deadLetter: true },
      timeoutS: 5,
    },
    {
      name: 'OpenAPI call from an 8 MB document',
      fields: request('task-bigdoc-1', 'call', { call_type: 'openapi', document: { endpoint: `${apiOrigin}/large.json` }, operation_id: 'getPetById_42', parameters: { petId: 7 } }),
      expect: { success: true },
      timeoutS: 5,
    },
  ];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const idTime = (id: string): number => Number(id.split('-')[0]);

before(async () => {
  buildService();
  redis = await startRedis();
  client = redis.client();
  let document = '';
  api = http.createServer((req, res) => {
    if (req.url === '/large.json') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(document);
    if (req.url?.startsWith('/api/v42/pet/')) return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"id": 7, "name": "doggie"}');
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiOrigin = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  document = largeDocument(apiOrigin);
  service = await startService({
    REDIS_URL: redis.url,
    HOSTNAME: 'isolation',
    EXECUTOR_CONCURRENCY: '16',
    EXECUTOR_STREAM_BLOCK: '200ms',
    TASK_TIMEOUT_SECONDS: '5',
    EXECUTOR_MAX_ENTRY_BYTES: String(1024 * 1024),
    EXECUTOR_SHUTDOWN_TIMEOUT: '10s',
  });
  healthPort = service.healthPort;
});

after(async () => {
  service?.kill('SIGKILL');
  await service?.exited;
  client?.disconnect();
  await redis?.stop();
  await new Promise((resolve) => api?.close(resolve));
});

describe('isolation: hostile tasks beside a steady stream of ordinary ones', () => {
  it('fails or finishes every probe within its timeout while other tenants keep their latency, /healthz answers and SIGTERM stops the service', async () => {
    const streams = ['acme', 'globex', 'initech', 'umbrella'].map((tenant) => streamKey(tenant, 'wf_steady'));
    const sent: { stream: string; taskId: string; id: string; n: number }[] = [];
    const health: { status: number; ms: number }[] = [];
    const stopAt = Date.now() + 9_000;
    let n = 0;

    // Wait for the service to be ready before measuring.
    for (let i = 0; i < 200; i++) {
      const status = await fetch(`http://127.0.0.1:${healthPort}/readyz`).then((r) => r.status, () => 0);
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // Warm up (the first expressions start a worker) so that the latency before the probes is the normal one.
    for (let i = 0; i < 8; i++) {
      const fields = requestFields({ tenant: 'acme', workflow: 'wf_warm', taskId: `task-warm-${i}`, taskName: 'warm', parameters: { v: '${ .task_input.timestamp | length }' } });
      await xadd(client, streamKey('acme', 'wf_warm'), fields);
    }
    for (let i = 0; i < 200 && (await entriesOfType(client, streamKey('acme', 'wf_warm'), COMPLETED)).length < 8; i++) await new Promise((resolve) => setTimeout(resolve, 50));

    const steady = (async () => {
      while (Date.now() < stopAt) {
        const stream = streams[n % streams.length] as string;
        const taskId = `task-steady-${1756150540123456789n + BigInt(n)}`;
        // Half the ordinary tasks use a plain path (in-process), half an expression jq must run.
        const parameters = n % 2 === 0 ? { v: '${ .task_input.n }' } : { v: '${ .task_input.n + 1 }' };
        const fields = requestFields({ tenant: stream.split(':')[1] as string, workflow: 'wf_steady', taskId, taskName: 'steady', parameters });
        const data = JSON.parse(fields['data'] as string) as { input: Record<string, unknown> };
        data.input['n'] = n;
        const id = await xadd(client, stream, { ...fields, data: JSON.stringify(data) });
        sent.push({ stream, taskId, id, n });
        n++;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    const probing = (async () => {
      while (Date.now() < stopAt) {
        const t = Date.now();
        const status = await fetch(`http://127.0.0.1:${healthPort}/healthz`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.status, () => 0);
        health.push({ status, ms: Date.now() - t });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const probeStartedAt = Date.now();
    const list = probes();
    const probeIds = new Map<string, string>();
    for (const probe of list) probeIds.set(probe.name, await xadd(client, EVIL, probe.fields));
    await Promise.all([steady, probing]);

    // Everything ends: each steady task and each probe has its completion.
    const deadline = Date.now() + 20_000;
    let completions: Awaited<ReturnType<typeof entriesOfType>> = [];
    let probeCompletions: Awaited<ReturnType<typeof entriesOfType>> = [];
    for (;;) {
      completions = (await Promise.all(streams.map((s) => entriesOfType(client, s, COMPLETED)))).flat();
      probeCompletions = await entriesOfType(client, EVIL, COMPLETED);
      if ((completions.length >= sent.length && probeCompletions.length >= list.length) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(completions.length, sent.length, 'every ordinary task completed once');
    const byTask = new Map(completions.map((c) => [c.fields['taskid'], c]));
    const before: number[] = [];
    const during: number[] = [];
    for (const s of sent) {
      const completion = byTask.get(s.taskId);
      assert.ok(completion, `no completion for ${s.taskId}`);
      const payload = JSON.parse(completion.fields['data'] as string) as { success: boolean; output: { v: number } };
      assert.equal(payload.success, true);
      assert.equal(payload.output.v, s.n % 2 === 0 ? s.n : s.n + 1);
      const latency = idTime(completion.id) - idTime(s.id);
      if (idTime(s.id) >= probeStartedAt) during.push(latency);
      else before.push(latency);
    }
    const sorted = [...during].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    const calm = [...before].sort((a, b) => a - b);

    const deadLetters = await entriesOfType(client, EVIL, DLQ);
    const report: string[] = [];
    for (const probe of list) {
      const requestId = probeIds.get(probe.name) as string;
      const taskId = probe.fields['taskid'];
      const completion = probeCompletions.find((c) => c.fields['taskid'] === taskId);
      assert.ok(completion, `${probe.name}: no completion`);
      const payload = JSON.parse(completion.fields['data'] as string) as { success: boolean; error: string; error_details?: { data?: { code?: string } } };
      const tookMs = idTime(completion.id) - idTime(requestId);
      const code = payload.error_details?.data?.code ?? '';
      report.push(`${probe.name}: ${payload.success ? 'success' : `failed ${code}`}${deadLetters.some((d) => d.fields['taskid'] === taskId) ? ' + dead letter' : ''} after ${tookMs} ms`);
      assert.equal(payload.success, probe.expect.success, `${probe.name}: ${payload.error}`);
      if (!probe.expect.success) {
        assert.ok(code.startsWith(probe.expect.code), `${probe.name}: code ${code}, expected ${probe.expect.code} (${payload.error})`);
        assert.equal(deadLetters.some((d) => d.fields['taskid'] === taskId), probe.expect.deadLetter === true, `${probe.name}: dead letter`);
      }
      assert.ok(tookMs <= probe.timeoutS * 1000 + 1_500, `${probe.name}: took ${tookMs} ms`);
    }
    const worstHealth = Math.max(...health.map((h) => h.ms));
    process.stdout.write(
      `# ${sent.length} ordinary tasks; latency before the probes: p50 ${percentile(calm, 50)} ms, p99 ${percentile(calm, 99)} ms; ` +
        `while they ran: p50 ${p50} ms, p99 ${p99} ms, max ${sorted.at(-1)} ms; /healthz: ${health.length} probes, worst ${worstHealth} ms\n` +
        report.map((line) => `#   ${line}\n`).join(''),
    );
    assert.ok(health.every((h) => h.status === 200), `/healthz: ${JSON.stringify(health.filter((h) => h.status !== 200).slice(0, 3))}`);
    assert.ok(worstHealth < 1_000, `/healthz took up to ${worstHealth} ms`);
    assert.ok(p99 < 500, `ordinary tasks' p99 latency was ${p99} ms while the probes ran`);

    const stopping = Date.now();
    service.kill('SIGTERM');
    const exit = await service.exited;
    assert.equal(exit, 0);
    assert.ok(Date.now() - stopping < 12_000);
  });
});
