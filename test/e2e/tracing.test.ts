/**
 * Distributed tracing end to end: the built service, a private Redis, a local OTLP/HTTP receiver
 * (JSON encoding) and a downstream HTTP server. A request carrying `traceparent` gives a task span
 * that is its child, an outbound call span that is the task span's child (and whose context the
 * downstream receives in its `traceparent` header), and a completion carrying the task span's context.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { entriesOfType, requestFields, streamKey, xadd } from '../support/flunq';
import { eventually, startRedis, TestRedis } from '../support/redis-server';
import { buildService, ServiceProcess, startService } from '../support/service-process';

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const WORKER_SPAN = '00f067aa0ba902b7';
const SECRET = 'sk-live-very-secret-value';

let redis: TestRedis;
let client: Redis;
let collector: http.Server;
let downstream: http.Server;
const spans: ExportedSpan[] = [];
const seenTraceparents: string[] = [];
const services: ServiceProcess[] = [];

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

before(async () => {
  buildService();
  redis = await startRedis();
  client = redis.client();
  collector = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { resourceSpans?: { scopeSpans?: { spans?: ExportedSpan[] }[] }[] };
      for (const rs of parsed.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  downstream = http.createServer((req, res) => {
    seenTraceparents.push(String(req.headers['traceparent'] ?? ''));
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
});

after(async () => {
  for (const s of services) s.kill('SIGKILL');
  await Promise.all(services.map((s) => s.exited));
  client?.disconnect();
  await redis?.stop();
  collector?.close();
  downstream?.close();
});

describe('tracing', () => {
  it('with OTEL_TRACES_EXPORTER=otlp links the request, the task, the outbound call and the completion in one trace, without secrets', async () => {
    const collectorPort = await listen(collector);
    const downstreamPort = await listen(downstream);
    const service = await startService({
      REDIS_URL: redis.url,
      HOSTNAME: 'e2e-trace',
      EXECUTOR_STREAM_BLOCK: '200ms',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
      OTEL_SERVICE_NAME: 'executor-under-test',
    });
    services.push(service);
    const stream = streamKey('acme', 'wf_traced');
    const taskId = 'task-fetch-1756150540123456789';
    const request = requestFields({
      tenant: 'acme',
      workflow: 'wf_traced',
      taskId,
      taskName: 'fetch',
      taskType: 'call',
      parameters: { call_type: 'http', method: 'GET', url: `http://127.0.0.1:${downstreamPort}/orders?api_key=${SECRET}` },
    });
    await xadd(client, stream, { ...request, traceparent: `00-${TRACE_ID}-${WORKER_SPAN}-01`, tracestate: 'vendor=1' });
    const [completion] = await eventually('the completion', async () => {
      const found = await entriesOfType(client, stream, 'io.flunq.task.completed');
      return found.length > 0 ? found : undefined;
    }, 20_000);
    assert.ok(completion);
    assert.match(completion.fields['data'] ?? '', /"success":true/);

    // Stopping flushes the last spans.
    service.kill('SIGTERM');
    await service.exited;
    const task = spans.find((s) => s.name === 'task call');
    const call = spans.find((s) => s.name === 'GET');
    assert.ok(task, `a task span among ${spans.map((s) => s.name).join(', ')}`);
    assert.ok(call, 'a client span for the outbound call');
    assert.equal(task.traceId, TRACE_ID, 'the task span belongs to the request\'s trace');
    assert.equal(task.parentSpanId, WORKER_SPAN, 'the task span is the child of the request\'s span');
    assert.equal(call.traceId, TRACE_ID);
    assert.equal(call.parentSpanId, task.spanId, 'the outbound call is the task span\'s child');
    assert.deepEqual(seenTraceparents, [`00-${TRACE_ID}-${call.spanId}-01`], 'the downstream received the call span\'s context');
    assert.equal(completion.fields['traceparent'], `00-${TRACE_ID}-${task.spanId}-01`, 'the completion carries the task span\'s context');
    assert.equal(completion.fields['tracestate'], 'vendor=1');
    assert.doesNotMatch(JSON.stringify(spans), new RegExp(SECRET), 'no secret in any span');
  });

  it('with OTEL_TRACES_EXPORTER=console writes each span as a log line in the log format', async () => {
    const service = await startService({ REDIS_URL: redis.url, HOSTNAME: 'e2e-trace-console', EXECUTOR_STREAM_BLOCK: '200ms', OTEL_TRACES_EXPORTER: 'console' });
    services.push(service);
    const stream = streamKey('acme', 'wf_traced_console');
    const taskId = 'task-note-1756150540123456790';
    await xadd(client, stream, { ...requestFields({ tenant: 'acme', workflow: 'wf_traced_console', taskId, taskName: 'note' }), traceparent: `00-${TRACE_ID}-${WORKER_SPAN}-01` });
    await eventually('the completion', async () => ((await entriesOfType(client, stream, 'io.flunq.task.completed')).length > 0 ? true : undefined), 20_000);
    service.kill('SIGTERM');
    await service.exited;
    const lines = service
      .output()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const span = lines.find((l) => l['message'] === 'span' && l['span'] === 'task set');
    assert.ok(span, 'the task span is logged');
    assert.equal(span['traceId'], TRACE_ID);
    assert.equal(span['parentSpanId'], WORKER_SPAN);
  });
});
