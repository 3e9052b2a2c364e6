import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redisOptions } from '../../../src/adapters/redis/redis-connection';
import { bySlot, globToRegExp, hashTagOf, historyScanKey, runningLeaseKey, settledMarkerKey, slotOf, taskStateKey } from '../../../src/adapters/redis/stream-keys';

describe('redisOptions', () => {
  it('accepts host:port, a bare host, redis:// and rediss:// URLs, and REDIS_PASSWORD overrides the URL', () => {
    assert.deepEqual(redisOptions({ url: 'localhost:6379' }), { host: 'localhost', port: 6379 });
    assert.deepEqual(redisOptions({ url: 'redis' }), { host: 'redis', port: 6379 });
    assert.deepEqual(redisOptions({ url: '[::1]:6380' }), { host: '::1', port: 6380 });
    assert.deepEqual(redisOptions({ url: 'redis://127.0.0.1:7000/2' }), { host: '127.0.0.1', port: 7000, db: 2 });
    const tls = redisOptions({ url: 'rediss://user:p%40ss@redis.example:6380/1' });
    assert.equal(tls.host, 'redis.example');
    assert.equal(tls.port, 6380);
    assert.equal(tls.db, 1);
    assert.equal(tls.username, 'user');
    assert.equal(tls.password, 'p@ss');
    assert.deepEqual(tls.tls, { servername: 'redis.example' });
    assert.equal(redisOptions({ url: 'redis://:inurl@h:1', password: 'fromenv' }).password, 'fromenv');
  });
});

describe('stream key helpers', () => {
  it('matches the discovery glob like Redis does', () => {
    const re = globToRegExp('tenant:*:workflow:*:events');
    assert.ok(re.test('tenant:acme:workflow:wf_1:events'));
    assert.ok(!re.test('tenant:acme:workflow:wf_1:events:dlq'));
    assert.ok(!re.test('workflow:events:x'));
    assert.ok(globToRegExp('a?c[xy]\\*').test('abcx*'));
    assert.ok(!globToRegExp('a.c').test('abc'));
  });

  it('puts the idempotency marker in the Cluster slot of its stream, whatever the consumer group', () => {
    assert.equal(hashTagOf('tenant:a:workflow:w:events'), 'tenant:a:workflow:w:events');
    assert.equal(hashTagOf('x{tag}y'), 'tag');
    assert.equal(hashTagOf('x{}y'), 'x{}y');
    assert.equal(settledMarkerKey('tenant:a:workflow:w:events', 't1'), 'flunq:executor:settled:{tenant:a:workflow:w:events}:t1');
    assert.equal(hashTagOf(settledMarkerKey('x{tag}y', 't1')), 'tag');
    assert.equal(taskStateKey('tenant:a:workflow:w:events', 't1'), 'flunq:executor:task:{tenant:a:workflow:w:events}:t1');
  });

  it('computes Redis Cluster slots (CRC16 of the hash tag, modulo 16384)', () => {
    assert.equal(slotOf('123456789'), 12739);
    assert.equal(slotOf('foo'), 12182);
    assert.equal(slotOf('bar'), 5061);
    assert.equal(slotOf('{user1000}.following'), slotOf('user1000'));
    assert.equal(slotOf('x{}y'), slotOf('x{}y'));
  });

  it('keeps the marker, the lease and the history flag in their stream slot, also for a tenant id with a brace', () => {
    for (const stream of ['tenant:a:workflow:w:events', 'tenant:{a}:workflow:w:events', 'tenant:a{b:workflow:w:events', 'tenant:{}:workflow:{w}:events', 'tenant:a}:workflow:w:events', 'tenant:é:workflow:w:events']) {
      const slot = slotOf(stream);
      assert.equal(slotOf(settledMarkerKey(stream, 't1')), slot, stream);
      assert.equal(slotOf(runningLeaseKey(stream, 't1')), slot, stream);
      assert.equal(slotOf(taskStateKey(stream, 't1')), slot, stream);
      assert.equal(slotOf(historyScanKey(stream, 'executor-service')), slot, stream);
    }
  });

  it('groups streams by slot for one XREADGROUP each', () => {
    const groups = bySlot(['{t}:a', 'x', '{t}:b', 'y']);
    assert.deepEqual(groups.map((g) => g.length).sort(), [1, 1, 2]);
    assert.deepEqual(groups.find((g) => g.length === 2), ['{t}:a', '{t}:b']);
  });
});
