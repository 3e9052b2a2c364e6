import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ListDeadLetters } from '../../../src/application/operations/list-dead-letters.use-case';
import { PurgeDeadLetters } from '../../../src/application/operations/purge-dead-letters.use-case';
import { ReplayDeadLetters } from '../../../src/application/operations/replay-dead-letters.use-case';
import { ResolveDeadLetters } from '../../../src/application/operations/resolve-dead-letters.use-case';
import { ShowDeadLetter } from '../../../src/application/operations/show-dead-letter.use-case';
import { InputError, UsageError } from '../../../src/cli/cli-errors';
import { dlq, parseStatuses, Terminal } from '../../../src/cli/dlq-command';
import { AppConfig } from '../../../src/config/env';
import { InMemoryDeadLetterStore } from '../../support/in-memory-dead-letter-store';

const A = 'tenant:acme:workflow:wf_a:events';
const B = 'tenant:acme:workflow:wf_b:events';

/** A terminal that answers `answer` (or none: not interactive) and records the questions. */
function terminal(answer?: boolean): Terminal & { questions: string[] } {
  const questions: string[] = [];
  return {
    interactive: answer !== undefined,
    questions,
    confirm: (question) => {
      questions.push(question);
      return Promise.resolve(answer ?? false);
    },
  };
}

/** `dlq …` on an in-memory store; what it printed, its exit code, and whether it connected. */
function makeSut(answer?: boolean) {
  const store = new InMemoryDeadLetterStore([
    { location: A, messageId: '1-0', taskId: 'task-a-1', ageMs: 1000, workflowId: 'wf_a' },
    { location: A, messageId: '2-0', taskId: 'task-a-2', ageMs: 5000, workflowId: 'wf_a' },
    { location: B, messageId: '1-0', taskId: 'task-b-1', ageMs: 3000, workflowId: 'wf_b', reason: 'MALFORMED_EVENT: bad' },
  ]);
  const out: string[] = [];
  const err: string[] = [];
  const term = terminal(answer);
  let connected = 0;
  const run = (...args: string[]): Promise<number> =>
    dlq(args, {} as AppConfig, { out: (t) => out.push(t), err: (t) => err.push(t) }, {
      terminal: term,
      operator: () => 'tester@host-1',
      operations: () => {
        connected++;
        return Promise.resolve({ list: new ListDeadLetters(store), show: new ShowDeadLetter(store), replay: new ReplayDeadLetters(store), resolve: new ResolveDeadLetters(store), purge: new PurgeDeadLetters(store), close: () => Promise.resolve() });
      },
    });
  return { store, out, err, term, run, connected: () => connected };
}

async function assertUsage(promise: Promise<unknown>, pattern: RegExp, command: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof UsageError, String(error));
    assert.match(error.message, pattern);
    assert.equal(error.command, command);
    return true;
  });
}

describe('dlq --status', () => {
  it('reads statuses, repeated or comma-separated; unresolved is open and replayed; any is every status', () => {
    assert.deepEqual(parseStatuses(undefined, ['open', 'replayed'], 'dlq list'), ['open', 'replayed']);
    assert.deepEqual(parseStatuses(['resolved'], ['open'], 'dlq list'), ['resolved']);
    assert.deepEqual(parseStatuses(['open,Resolved', 'open'], [], 'dlq list'), ['open', 'resolved']);
    assert.deepEqual(parseStatuses(['unresolved'], [], 'dlq list'), ['open', 'replayed']);
    assert.deepEqual(parseStatuses(['any'], ['open'], 'dlq list'), []);
    assert.throws(() => parseStatuses(['closed'], [], 'dlq purge'), (e: unknown) => e instanceof UsageError && e.command === 'dlq purge' && /expected open, replayed, resolved, unresolved or any/.test(e.message));
  });
});

describe('dlq list', () => {
  it('leaves resolved dead letters out unless --all or --status asks, with a STATUS column', async () => {
    const sut = makeSut();
    await sut.store.resolve(B, '1-0', { by: 'ops' });
    await sut.store.replay(A, '2-0');
    assert.equal(await sut.run('list'), 0);
    const [header, ...rows] = (sut.out.pop() ?? '').split('\n');
    assert.match(header ?? '', /^STREAM\s+ENTRY\s+TASK\s+TYPE\s+ATTEMPTS\s+AGE\s+STATUS\s+REPLAYS\s+REASON$/);
    assert.deepEqual(rows.map((r) => r.split(/\s+/).slice(2, 3).concat(r.split(/\s+/).slice(6, 8))), [['task-a-2', 'replayed', '1'], ['task-a-1', 'open', '0']]);
    await sut.run('list', '--all', '--json');
    assert.deepEqual((JSON.parse(sut.out.pop() ?? '') as { taskId: string; status: string }[]).map((d) => [d.taskId, d.status]), [['task-a-2', 'replayed'], ['task-b-1', 'resolved'], ['task-a-1', 'open']]);
    await sut.run('list', '--status', 'resolved', '--json');
    assert.deepEqual((JSON.parse(sut.out.pop() ?? '') as { taskId: string; resolution: unknown }[]).map((d) => [d.taskId, d.resolution]), [['task-b-1', { resolvedAt: '2025-08-25T19:40:00Z', by: 'ops' }]]);
    await assertUsage(sut.run('list', '--all', '--status', 'open'), /give --all or --status, not both/, 'dlq list');
  });
});

describe('dlq resolve', () => {
  it('resolves named dead letters with the note and the operator (or --by); again: says it was resolved already', async () => {
    const sut = makeSut();
    assert.equal(await sut.run('resolve', A, '1-0', '9-0', '--note', 'fixed upstream'), 1);
    assert.deepEqual(sut.out, [`resolved ${A} 1-0`]);
    assert.deepEqual(sut.err, [`cannot resolve ${A} 9-0: ${A} 9-0 is not a dead letter`]);
    assert.deepEqual(sut.store.resolutions.get(`${A} 1-0`), { resolvedAt: '2025-08-25T19:40:00Z', by: 'tester@host-1', note: 'fixed upstream' });
    assert.equal(await sut.run('resolve', A, '1-0', '--by', 'someone-else'), 0);
    assert.equal(sut.out.pop(), `${A} 1-0 was resolved already (2025-08-25T19:40:00Z by tester@host-1: fixed upstream)`);
    assert.equal(await sut.run('resolve', A, '2-0', '--by', 'carol'), 0);
    assert.equal(sut.store.resolutions.get(`${A} 2-0`)?.by, 'carol');
  });

  it('resolves every unresolved match with --all and prints a summary', async () => {
    const sut = makeSut();
    assert.equal(await sut.run('resolve', '--all', '--workflow', 'wf_a'), 0);
    assert.deepEqual(sut.out, [`resolved ${A} 2-0`, `resolved ${A} 1-0`, 'resolved 2 of 2 matching dead letters']);
    sut.out.length = 0;
    assert.equal(await sut.run('resolve', '--all'), 0);
    assert.deepEqual(sut.out, [`resolved ${B} 1-0`, 'resolved 1 of 1 matching dead letters'], 'those resolved before are not matched again');
  });

  it('refuses bad usage before connecting', async () => {
    const sut = makeSut();
    await assertUsage(sut.run('resolve', A), /dlq resolve needs <stream> <entry-id>… or --all/, 'dlq resolve');
    await assertUsage(sut.run('resolve', A, '1-0', '--workflow', 'wf_a'), /filters select dead letters for --all/, 'dlq resolve');
    await assertUsage(sut.run('resolve', '--all', A), /--all takes filters/, 'dlq resolve');
    await assertUsage(sut.run('resolve', A, '1-0', '--note', 'x'.repeat(1001)), /--note: the note is 1001 characters long/, 'dlq resolve');
    await assertUsage(sut.run('resolve', A, '1-0', '--yes'), /unknown option '--yes'/, 'dlq resolve');
    await assertUsage(sut.run('resolve', '--all', '--status', 'closed'), /--status "closed"/, 'dlq resolve');
    assert.equal(sut.connected(), 0);
  });
});

describe('dlq purge', () => {
  it('needs --yes without a terminal: one usage error, before connecting', async () => {
    const sut = makeSut();
    await assertUsage(sut.run('purge', A, '1-0'), /^dlq purge deletes for good and there is no terminal to confirm on: add --yes$/, 'dlq purge');
    await assertUsage(sut.run('purge', '--all'), /add --yes/, 'dlq purge');
    assert.equal(sut.connected(), 0);
    assert.equal(await sut.run('purge', A, '1-0', '--yes'), 0);
    assert.deepEqual(sut.out, [`purged ${A} 1-0`]);
    assert.equal(await sut.run('purge', A, '2-0', '-y'), 0);
    assert.deepEqual(sut.term.questions, []);
  });

  it('asks on a terminal: no purges nothing (InputError, exit code 2)', async () => {
    const sut = makeSut(false);
    await assert.rejects(sut.run('purge', A, '1-0', '2-0'), (e: unknown) => e instanceof InputError && e.message === 'dlq purge not confirmed: nothing was purged');
    assert.deepEqual(sut.err, [`to purge at ${A}: 1-0 2-0`]);
    assert.match(sut.term.questions[0] ?? '', /^Purge 2 dead letter\(s\) for good, .*This cannot be undone\. \[y\/N\] $/);
    assert.equal(sut.store.calls.filter((c) => c.startsWith('purge ')).length, 0);
  });

  it('asks on a terminal with the matching dead letters shown; yes purges exactly those, with a summary', async () => {
    const sut = makeSut(true);
    await sut.store.replay(A, '2-0');
    await sut.store.resolve(B, '1-0', { by: 'ops' });
    assert.equal(await sut.run('purge', '--all', '--older-than', '2s'), 0);
    assert.equal(sut.err[0], '1 dead letter(s) match:');
    assert.match(sut.err[1] ?? '', /^STREAM.*\n.*task-a-2\s+set\s+3\s+5s\s+replayed\s+1\s+/);
    assert.deepEqual(sut.out, [`purged ${A} 2-0 with 1 replay record(s)`, 'purged 1 of 1 matching dead letters'], 'the resolved one is left out by default');
    sut.out.length = 0;
    assert.equal(await sut.run('purge', '--all', '--status', 'resolved'), 0);
    assert.deepEqual(sut.out, [`purged ${B} 1-0 with its resolution`, 'purged 1 of 1 matching dead letters']);
    assert.equal(sut.term.questions.length, 2);
  });

  it('purges nothing and asks nothing when nothing matches; exit code 1 when one is not a dead letter', async () => {
    const sut = makeSut(true);
    assert.equal(await sut.run('purge', '--all', '--workflow', 'wf_none'), 0);
    assert.deepEqual([sut.out, sut.term.questions], [['purged 0 of 0 matching dead letters'], []]);
    assert.equal(await sut.run('purge', A, '1-0', '7-0', '--yes'), 1);
    assert.deepEqual(sut.err, [`cannot purge ${A} 7-0: ${A} 7-0 is not a dead letter`]);
  });
});

describe('dlq: commands', () => {
  it('names every command when none or another is given', async () => {
    const sut = makeSut();
    await assertUsage(sut.run(), /^dlq needs list, show, replay, resolve or purge$/, 'dlq');
    await assertUsage(sut.run('frob'), /^unknown dlq command frob$/, 'dlq');
  });

  it('replay --all leaves resolved dead letters out unless --status names them', async () => {
    const sut = makeSut();
    await sut.store.resolve(B, '1-0', { by: 'ops' });
    assert.equal(await sut.run('replay', '--all'), 0);
    assert.equal(sut.out.pop(), 'replayed 2 of 2 matching dead letters');
    assert.equal(await sut.run('replay', '--all', '--status', 'resolved'), 0);
    assert.equal(sut.out.pop(), 'replayed 1 of 1 matching dead letters');
  });
});
