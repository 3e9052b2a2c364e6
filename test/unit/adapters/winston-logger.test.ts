import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { WinstonLogger } from '../../../src/adapters/observability/winston-logger';

function capture(level: string): { logger: WinstonLogger; lines: () => Record<string, unknown>[]; text: () => string } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  const logger = WinstonLogger.create(level, stream);
  const text = (): string => chunks.join('');
  return { logger, text, lines: () => text().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('WinstonLogger', () => {
  it('writes one JSON object per line with level, message, timestamp and fields', () => {
    const { logger, lines } = capture('info');
    logger.info('task completed', { taskId: 't1', durationMs: 3 });
    const [line] = lines();
    assert.equal(line?.['level'], 'info');
    assert.equal(line?.['message'], 'task completed');
    assert.equal(line?.['taskId'], 't1');
    assert.equal(line?.['durationMs'], 3);
    assert.equal(typeof line?.['timestamp'], 'string');
  });

  it('honours the level', () => {
    const { logger, lines } = capture('warn');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    assert.deepEqual(lines().map((l) => l['message']), ['w', 'e']);
  });

  it('redacts sensitive fields at any depth, in fields and child bindings', () => {
    const { logger, text } = capture('debug');
    const child = logger.child({ api_key: 'child-binding-secret-1', taskId: 't1' });
    child.info('calling', { headers: { Authorization: 'Bearer sekret-token-abc', Accept: 'application/json' }, nested: [{ password: 'hunter2-pw' }], clientSecret: 'cs-xyz-123' });
    const out = text();
    for (const secret of ['child-binding-secret-1', 'sekret-token-abc', 'hunter2-pw', 'cs-xyz-123']) assert.doesNotMatch(out, new RegExp(secret));
    assert.match(out, /Bearer \*\*\*/);
    assert.match(out, /application\/json/);
    assert.match(out, /"taskId":"t1"/);
  });
  it('writes exactly the line winston would: keys sorted, bindings under fields, service, bigint as text', () => {
    const { logger, text } = capture('info');
    logger
      .child({ taskId: 't1', workflowId: 'w1' })
      .child({ attempt: 2, taskId: 't2' })
      .info('task completed', { outcome: 'success', durationMs: 3, big: 10n, nested: { token: 'x', a: [1] }, gone: undefined });
    logger.warn('with message', { message: 'extra', service: 'other' });
    const lines = text().replace(/"timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"/g, '"timestamp":"T"');
    assert.equal(
      lines,
      '{"attempt":2,"big":"10","durationMs":3,"level":"info","message":"task completed","nested":{"a":[1],"token":"***"},"outcome":"success","service":"flunq-executor","taskId":"t2","timestamp":"T","workflowId":"w1"}\n' +
        '{"level":"warn","message":"with message extra","service":"other","timestamp":"T"}\n',
    );
  });
});
