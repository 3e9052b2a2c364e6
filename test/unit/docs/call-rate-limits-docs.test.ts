/**
 * The examples of docs/call-rate-limits.md, checked against the code: the operator table loads as
 * described, the task's `rate_limit` parses, and an audit line has exactly the documented fields.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FakeClock } from '../../support/fake-clock';
import { InMemoryLogger } from '../../support/in-memory-logger';
import { request } from '../try/fake-context';
import { InMemoryRateLimiter } from '../../../src/adapters/memory/in-memory-rate-limiter';
import { DEFAULT_CALL_RATE_LIMITS, parseTaskRateLimit } from '../../../src/application/handlers/call/call-rate-limits';
import { OutboundCalls } from '../../../src/application/handlers/call/outbound-calls';
import { TaskContext } from '../../../src/application/ports/task-handler.port';
import { loadConfig } from '../../../src/config/env';
import { JsonObject } from '../../../src/domain/json';
import { parseHostRateRules } from '../../../src/domain/rate-limit';

const text = fs.readFileSync(path.resolve(__dirname, '../../../docs/call-rate-limits.md'), 'utf8');

function example(name: string): string {
  const m = new RegExp(`<!-- example: ${name} -->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\``).exec(text);
  assert.ok(m?.[1] !== undefined, `example ${name} is in the document`);
  return m[1];
}

describe('docs/call-rate-limits.md examples', () => {
  it('the operator table loads, with the options it describes', () => {
    const value = /^CALL_RATE_LIMITS="(.*)"$/.exec(example('operator-limits'))?.[1] ?? '';
    const rules = loadConfig({ CALL_RATE_LIMITS: value }).rateLimits.rules;
    assert.deepEqual(
      rules.map((r) => [r.pattern, r.rate.count, r.rate.periodMs, r.burst, r.perHost]),
      [
        ['api.example.com', 10, 1000, 1, false],
        ['*.stripe.com', 100, 60_000, 20, false],
        ['localhost:8080', 5, 1000, 1, false],
        ['*', 50, 1000, 1, true],
      ],
    );
  });

  it('the error the page quotes for a bad table is the one the service gives', () => {
    const quoted = /`(CALL_RATE_LIMITS="…": entry "stripe=fast": [^`]*)`/.exec(text)?.[1] ?? '';
    assert.ok(quoted !== '');
    assert.throws(() => loadConfig({ CALL_RATE_LIMITS: 'stripe=fast' }), (e: Error) => e.message.includes(quoted.replace('CALL_RATE_LIMITS="…": ', '')));
  });

  it("the task's rate_limit parses as described", () => {
    const parameters = JSON.parse(example('task-limit')) as JsonObject;
    assert.deepEqual(parseTaskRateLimit(parameters['rate_limit']), { rate: { count: 5, periodMs: 1000, text: '5/s' }, burst: 1, scope: { kind: 'operation' }, maxWaitMs: 2000 });
  });

  it('an audit line has the documented fields', async () => {
    const documented = JSON.parse(example('audit-line')) as JsonObject;
    const clock = new FakeClock();
    const logger = new InMemoryLogger();
    const outbound = new OutboundCalls(new InMemoryRateLimiter(clock), clock, { limits: { ...DEFAULT_CALL_RATE_LIMITS, rules: parseHostRateRules('api.example.com=5/s') }, audit: { enabled: true, bodies: false, maxBodyBytes: 2048 } }, undefined, () => String(documented['traceId']));
    const req = { ...request({ task_type: 'call', task_id: String(documented['taskId']) }), workflowId: String(documented['workflowId']) };
    const context = { request: req, deadline: clock.now() + 60_000, signal: new AbortController().signal, logger } as unknown as TaskContext;
    const url = 'https://api.example.com/orders?api_key=SECRET-KEY-1&page=2';
    const call = { protocol: 'http', method: 'GET', url, host: { name: 'api.example.com', port: 443 }, operation: 'GET /orders', answer: () => ({ status: 200, throttled: false, unavailable: false, retryAfter: undefined }) };
    const secrets = { names: [], values: ['SECRET-KEY-1'] };
    await outbound.send(context, call, secrets, () => Promise.resolve('first'));
    const second = outbound.send(context, call, secrets, async () => {
      await clock.sleep(42);
      return 'second';
    });
    await clock.advance(200);
    await clock.advance(42);
    await second;
    const line = logger.records.filter((r) => r.message === 'outbound call').at(-1)?.fields;
    assert.deepEqual(line, documented);
  });
});
