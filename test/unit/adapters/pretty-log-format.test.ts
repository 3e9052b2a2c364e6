import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { WinstonLogger } from '../../../src/adapters/observability/winston-logger';
import { loadConfig } from '../../../src/config/env';

function capture(colors: boolean): { logger: WinstonLogger; lines: () => string[] } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  const logger = WinstonLogger.create('debug', stream, { format: 'pretty', colors });
  return { logger, lines: () => chunks.join('').split('\n').filter((l) => l !== '') };
}

describe('LOG_FORMAT=pretty', () => {
  it('writes one line per event: time, level, message, then key=value fields', () => {
    const { logger, lines } = capture(false);
    logger.child({ taskId: 't1' }).warn('task completed', { outcome: 'failure', durationMs: 12, errorCode: 'HTTP_5XX', detail: 'GET https://api.test answered 503\nretry later', nested: { a: [1] } });
    const [line, ...rest] = lines();
    assert.deepEqual(rest, []);
    assert.match(line ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARN {2}task completed taskId=t1 outcome=failure durationMs=12 errorCode=HTTP_5XX detail="GET https:\/\/api\.test answered 503\\nretry later" nested=\{"a":\[1\]\}$/);
  });

  it('redacts secrets as the JSON lines do', () => {
    const { logger, lines } = capture(false);
    logger.info('configuration', { password: 'hunter22', config: { redis: { password: 'hunter22' } } });
    assert.doesNotMatch(lines().join('\n'), /hunter22/);
    assert.match(lines()[0] ?? '', /password=\*\*\*/);
  });

  it('colours the level for a terminal, and writes no escape codes otherwise', () => {
    const coloured = capture(true);
    coloured.logger.error('boom', { code: 'X' });
    assert.ok((coloured.lines()[0] ?? '').includes('\u001b[31mERROR'), 'red level');
    const plain = capture(false);
    plain.logger.error('boom', { code: 'X' });
    assert.ok(!(plain.lines()[0] ?? '').includes('\u001b'), 'no escape codes');
  });

  it('is chosen by LOG_FORMAT (default json); anything else is a configuration error', () => {
    assert.equal(loadConfig({}).log.format, 'json');
    assert.equal(loadConfig({ LOG_FORMAT: 'pretty' }).log.format, 'pretty');
    assert.throws(() => loadConfig({ LOG_FORMAT: 'xml' }), /LOG_FORMAT="xml": expected json or pretty/);
  });
});
