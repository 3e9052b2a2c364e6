import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IsolatedThread, IsolatedThreadTexts } from '../../../src/adapters/worker-thread/isolated-thread';
import { WorkflowError } from '../../../src/domain/workflow-error';
import { ISOLATED_TEST_ROLE, TestReply, TestRequest } from '../../support/isolated-test-worker';

const TEXTS: IsolatedThreadTexts = {
  closed: 'closed',
  tenantBusy: (max) => `tenant busy ${max}`,
  busy: (max) => `busy ${max}`,
  expired: (ms) => `expired ${ms}`,
  overran: (ms) => `overran ${ms}`,
  died: (why) => `died: ${why}`,
};

function thread(): IsolatedThread<Omit<TestRequest, 'id'>, TestReply> {
  return new IsolatedThread({ entry: require.resolve('../../support/isolated-test-worker'), role: ISOLATED_TEST_ROLE, maxMemoryMb: 64, maxQueuedPerTenant: 4, maxQueued: 8, texts: TEXTS });
}

function failsWith(code: string, detail: string): (e: unknown) => boolean {
  return (e) => e instanceof WorkflowError && e.code === code && e.detail === detail;
}

describe('the isolated thread', { timeout: 60_000 }, () => {
  it('answers each job with its own reply, one thread for all', async () => {
    const isolated = thread();
    try {
      const replies = await Promise.all([isolated.run('a', { text: 'one' }, 30_000), isolated.run('b', { text: 'two' }, 30_000)]);
      assert.deepEqual(replies.map((r) => r.echo), ['one', 'two']);
      assert.equal(isolated.started, 1);
    } finally {
      await isolated.close();
    }
  });

  it('a job that cannot be handed to the thread fails alone, and the jobs after it still run', async () => {
    const isolated = thread();
    try {
      const uncopyable = { text: 'x', hook: () => 1 } as unknown as Omit<TestRequest, 'id'>;
      await assert.rejects(isolated.run('a', uncopyable, 30_000), (e: unknown) => e instanceof WorkflowError && e.code === 'INTERNAL' && /^died: .*could not be cloned/.test(e.detail));
      assert.deepEqual((await isolated.run('a', { text: 'after' }, 30_000)).echo, 'after');
    } finally {
      await isolated.close();
    }
  });

  it('a thread that dies fails its job with the texts\' words; the next job gets a new thread', async () => {
    const isolated = thread();
    try {
      await isolated.run('a', { text: 'warm' }, 30_000);
      await assert.rejects(isolated.run('a', { exit: 3 }, 30_000), failsWith('INTERNAL', 'died: exit code 3'));
      assert.equal((await isolated.run('a', { text: 'after' }, 30_000)).echo, 'after');
      assert.equal(isolated.started, 2);
    } finally {
      await isolated.close();
    }
  });

  it('close() cancels the running job and the waiting ones, and refuses later jobs', async () => {
    const isolated = thread();
    await isolated.run('a', { text: 'warm' }, 30_000);
    const running = isolated.run('a', { spin: true }, 30_000);
    const waiting = isolated.run('b', { text: 'never' }, 30_000);
    assert.equal(isolated.queued, 1);
    const cancelled = Promise.all([assert.rejects(running, failsWith('CANCELLED', 'the service is stopping')), assert.rejects(waiting, failsWith('CANCELLED', 'the service is stopping'))]);
    await isolated.close();
    await cancelled;
    await assert.rejects(isolated.run('a', { text: 'late' }, 30_000), failsWith('INTERNAL', 'closed'));
  });
});
