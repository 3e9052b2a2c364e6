import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KV } from 'nats';
import { bucketKey, taskBucketKey, TaskClaims } from '../../../src/adapters/nats/task-claims';
import { FakeClock } from '../../support/fake-clock';

/** The part of a key-value bucket TaskClaims uses, with JetStream's compare-and-set errors. */
class FakeBucket {
  readonly values = new Map<string, { value: Uint8Array; revision: number }>();
  private revision = 0;
  calls: string[] = [];

  get(k: string): Promise<{ value: Uint8Array; revision: number; operation: 'PUT' } | null> {
    this.calls.push('get');
    const v = this.values.get(k);
    return Promise.resolve(v ? { ...v, operation: 'PUT' } : null);
  }
  create(k: string, value: Uint8Array): Promise<number> {
    this.calls.push('create');
    if (this.values.has(k)) return Promise.reject(new Error('wrong last sequence: 1'));
    return Promise.resolve(this.set(k, value));
  }
  update(k: string, value: Uint8Array, revision: number): Promise<number> {
    this.calls.push('update');
    if (this.values.get(k)?.revision !== revision) return Promise.reject(new Error('wrong last sequence: 2'));
    return Promise.resolve(this.set(k, value));
  }
  put(k: string, value: Uint8Array): Promise<number> {
    this.calls.push('put');
    return Promise.resolve(this.set(k, value));
  }
  private set(k: string, value: Uint8Array): number {
    this.values.set(k, { value, revision: ++this.revision });
    return this.revision;
  }
}

function makeSut(leaseMs = 1000): { claims: TaskClaims; bucket: FakeBucket; clock: FakeClock } {
  const bucket = new FakeBucket();
  const clock = new FakeClock();
  return { claims: new TaskClaims(bucket as unknown as KV, clock, leaseMs), bucket, clock };
}

describe('task claims in a key-value bucket', () => {
  it('claims a new task in one round trip', async () => {
    const { claims, bucket } = makeSut();
    assert.equal(await claims.claim('task-1', '7'), 'claimed');
    assert.deepEqual(bucket.calls, ['create']);
  });

  it('another message of the task finds it running while the lease lasts, and takes it over after', async () => {
    const { claims, clock } = makeSut(1000);
    assert.equal(await claims.claim('task-1', '7'), 'claimed');
    assert.equal(await claims.claim('task-1', '8'), 'running');
    await clock.advance(1001);
    assert.equal(await claims.claim('task-1', '8'), 'claimed');
    assert.equal(await claims.claim('task-1', '7'), 'running');
  });

  it('the same message delivered again takes its claim over at once', async () => {
    const { claims } = makeSut();
    assert.equal(await claims.claim('task-1', '7'), 'claimed');
    assert.equal(await claims.claim('task-1', '7'), 'claimed');
  });

  it('a settled task is settled for every message, and its claim can no longer be renewed', async () => {
    const { claims } = makeSut();
    assert.equal(await claims.claim('task-1', '7'), 'claimed');
    await claims.settle('task-1');
    assert.equal(await claims.claim('task-1', '7'), 'settled');
    assert.equal(await claims.claim('task-1', '9'), 'settled');
    assert.equal(await claims.renew('task-1', '7'), false);
  });

  it('renewing extends the holder\'s lease only', async () => {
    const { claims, clock } = makeSut(1000);
    assert.equal(await claims.claim('task-1', '7'), 'claimed');
    await clock.advance(800);
    assert.equal(await claims.renew('task-1', '7'), true);
    await clock.advance(800);
    assert.equal(await claims.claim('task-1', '8'), 'running', 'the renewed lease still holds');
    assert.equal(await claims.renew('task-1', '8'), false);
  });

  it('keys a replay apart from its task', async () => {
    const { claims, bucket } = makeSut();
    const scope = { tenantId: 'acme', workflowId: 'wf_1' };
    await claims.settle(taskBucketKey(scope, 'task-1'));
    assert.equal(await claims.claim(taskBucketKey(scope, 'task-1#replay-1'), '9'), 'claimed');
    assert.deepEqual([...bucket.values.keys()], ['acme.wf_1.task-1', `acme.wf_1.${bucketKey('task-1#replay-1')}`]);
  });
});

describe('task bucket keys', () => {
  it('scope a task by the tenant and workflow of its subject, so that equal task ids of two tenants never meet', () => {
    assert.equal(taskBucketKey({ tenantId: 'acme', workflowId: 'wf_1' }, 'task-1'), 'acme.wf_1.task-1');
    assert.notEqual(taskBucketKey({ tenantId: 'acme', workflowId: 'wf_1' }, 'task-1'), taskBucketKey({ tenantId: 'evil', workflowId: 'wf_1' }, 'task-1'));
    // Dots and other characters are escaped inside a token, so no id can add or move a token.
    assert.equal(taskBucketKey({ tenantId: 'a.b', workflowId: 'w' }, 'task#replay-2'), 'a=2Eb.w.task=23replay-2');
  });
});
