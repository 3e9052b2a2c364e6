import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DEFAULT_POOLED_JQ_OPTIONS, PooledJqExpressionEvaluator, PooledJqOptions, withoutQuotedText, withoutValueExcerpts } from '../../../src/adapters/jq/pooled-jq-expression-evaluator';
import { ExpressionOutcome } from '../../../src/application/ports/expression-evaluator.port';
import { WorkflowError } from '../../../src/domain/workflow-error';

const pools: PooledJqExpressionEvaluator[] = [];
function makeSut(options: Partial<PooledJqOptions> = {}): PooledJqExpressionEvaluator {
  const sut = new PooledJqExpressionEvaluator({ ...DEFAULT_POOLED_JQ_OPTIONS, timeoutMs: 400, ...options });
  pools.push(sut);
  return sut;
}
after(() => Promise.all(pools.map((p) => p.close())));

const input = { layers: [{ input: { id: 7, secret: 's3cr3t-value-123', items: [1, 2, 3] } }], variables: { task: { name: 't' } } };

async function one(sut: PooledJqExpressionEvaluator, expression: string, timeoutMs = 5_000, signal?: AbortSignal): Promise<ExpressionOutcome> {
  const [outcome] = await sut.evaluate([expression], input, { timeoutMs, ...(signal ? { signal } : {}) });
  assert.ok(outcome);
  return outcome;
}

async function rejection(promise: Promise<unknown>): Promise<WorkflowError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof WorkflowError, `expected a WorkflowError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('PooledJqExpressionEvaluator', () => {
  it('evaluates a batch: each expression its first result or its own error', async () => {
    const sut = makeSut();
    const outcomes = await sut.evaluate(['.input.id + 1', '.input.items[]', 'empty', '.input | foo(', '$task.name', '.input.items | map(. * 2)'], input, { timeoutMs: 5_000 });
    assert.deepEqual(outcomes[0], { ok: true, value: 8 });
    assert.deepEqual(outcomes[1], { ok: true, value: 1 });
    assert.deepEqual(outcomes[2], { ok: true, value: null });
    assert.equal(outcomes[3]?.ok, false);
    assert.match(outcomes[3]?.ok === false ? outcomes[3].error.detail : '', /^expression '\.input \| foo\(' failed: syntax error/);
    assert.deepEqual(outcomes[4], { ok: true, value: 't' });
    assert.deepEqual(outcomes[5], { ok: true, value: [2, 4, 6] });
  });

  it('stops a looping expression at its time limit while other evaluations go on at once', async () => {
    const sut = makeSut({ timeoutMs: 4_000 });
    const started = Date.now();
    const runaway = rejection(sut.evaluate(['def f: f; f'], input, { timeoutMs: 60_000 }));
    const others: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = Date.now();
      const outcome = await one(sut, `.input.id + ${i}`);
      assert.deepEqual(outcome, { ok: true, value: 7 + i });
      others.push(Date.now() - t);
    }
    const error = await runaway;
    const took = Date.now() - started;
    assert.equal(error.code, 'EXPRESSION_TIMEOUT');
    assert.equal(error.kind, 'expression');
    assert.ok(took >= 3_950 && took < 8_000, `stopped after ${took} ms`);
    // Far below the runaway's 4 s (the first one includes starting a second worker).
    assert.ok(Math.max(...others) < 2_000, `other evaluations waited up to ${Math.max(...others)} ms`);
    // The stopped worker was replaced: evaluations still work.
    assert.deepEqual(await one(sut, '.input.id'), { ok: true, value: 7 });
  });

  it('lets one share alone use every worker', async () => {
    const sut = makeSut({ maxWorkers: 4, timeoutMs: 4_000 });
    const runaways = Array.from({ length: 4 }, () => rejection(sut.evaluate(['def f: f; f'], input, { timeoutMs: 60_000, share: 'alone' })));
    let busiest = 0;
    for (let i = 0; i < 150 && busiest < 4; i++) {
      busiest = Math.max(busiest, sut.busyWorkers);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(busiest, 4, 'all four workers ran the one share\'s batches at once');
    await sut.close();
    await Promise.all(runaways);
  });

  it('tells why when no worker can start (a memory limit too small for jq), instead of waiting for ever', async () => {
    const sut = makeSut({ maxMemoryMb: 4, timeoutMs: 30_000 });
    const started = Date.now();
    const error = await rejection(sut.evaluate(['.input.id + 1'], input, { timeoutMs: 30_000 }));
    assert.match(error.detail, /expression workers cannot start .*EXPRESSION_MAX_MEMORY_MB=4 may be too small/);
    assert.ok(Date.now() - started < 10_000);
  });

  it('never lets one share (a tenant) hold every worker: another tenant\'s expression runs at once', async () => {
    const sut = makeSut({ maxWorkers: 3, timeoutMs: 5_000 });
    // Three runaways hold the three workers and a fourth waits: the other tenant must overtake it.
    const runaways = Array.from({ length: 4 }, () => rejection(sut.evaluate(['def f: f; f'], input, { timeoutMs: 60_000, share: 'evil' })));
    let firstRunawayEnded = false;
    void Promise.race(runaways).then(() => (firstRunawayEnded = true));
    for (let i = 0; i < 250 && sut.busyWorkers < 3; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(sut.busyWorkers, 3, 'the runaways hold every worker');
    const [outcome] = await sut.evaluate(['.input.id * 2'], input, { timeoutMs: 5_000, share: 'acme' });
    assert.deepEqual(outcome, { ok: true, value: 14 });
    // Had the runaways held every worker, the other tenant would have waited for the first of
    // them to reach its 5 s limit. The order, not a wall-clock figure, decides, so a loaded
    // machine (slow thread starts) cannot.
    assert.equal(firstRunawayEnded, false, 'the other tenant waited for a runaway to end');
    for (const error of await Promise.all(runaways)) assert.equal(error.code, 'EXPRESSION_TIMEOUT');
  });

  it('applies the caller\'s shorter limit (the task\'s remaining time)', async () => {
    const sut = makeSut({ timeoutMs: 10_000 });
    const started = Date.now();
    const error = await rejection(sut.evaluate(['last(range(1e12))'], input, { timeoutMs: 300 }));
    assert.equal(error.code, 'EXPRESSION_TIMEOUT');
    assert.ok(Date.now() - started < 3_000);
  });

  it('takes the first output of an endless generator without running it on', async () => {
    const sut = makeSut();
    assert.deepEqual(await one(sut, 'repeat(.) | .input.id'), { ok: true, value: 7 });
    assert.deepEqual(await one(sut, 'range(1e12)'), { ok: true, value: 0 });
  });

  it('stops an expression that outgrows the memory limit', async () => {
    const sut = makeSut({ maxMemoryMb: 32, timeoutMs: 20_000 });
    const error = await rejection(sut.evaluate(['[range(1e8)] | length'], input, { timeoutMs: 20_000 }));
    assert.equal(error.code, 'EXPRESSION_LIMIT');
    assert.deepEqual(await one(sut, '.input.id'), { ok: true, value: 7 });
  });

  it('refuses results larger or deeper than the limits', async () => {
    const sut = makeSut({ maxResultBytes: 100_000, maxDepth: 64 });
    assert.equal((await rejection(sut.evaluate(['"x" * 200000'], input, { timeoutMs: 5_000 }))).code, 'EXPRESSION_LIMIT');
    const deep = await rejection(sut.evaluate(['reduce range(100) as $i (0; [.])'], input, { timeoutMs: 5_000 }));
    assert.equal(deep.code, 'EXPRESSION_LIMIT');
    assert.match(deep.detail, /deeper than 64 levels/);
    assert.deepEqual(await one(sut, 'reduce range(60) as $i (0; [.]) | length'), { ok: true, value: 1 });
  });

  it('stops an evaluation when its signal aborts (task deadline or shutdown)', async () => {
    const sut = makeSut({ timeoutMs: 30_000 });
    const controller = new AbortController();
    const reason = new WorkflowError({ kind: 'timeout', code: 'TIMEOUT', detail: 'task exceeded its timeout' });
    const pending = rejection(sut.evaluate(['def f: f; f'], input, { timeoutMs: 30_000, signal: controller.signal }));
    setTimeout(() => controller.abort(reason), 100);
    const started = Date.now();
    assert.equal(await pending, reason);
    assert.ok(Date.now() - started < 2_000);
  });

  it('never repeats the values an expression failed on in its error', async () => {
    const sut = makeSut();
    for (const expression of [
      '.input.secret | tonumber',
      '.input.secret + 1',
      '.input.secret | keys',
      '.input.secret[0]',
      '[.input.secret] | implode',
      '.input.secret | fromjson',
      '.input.secret | strptime("%Y")',
      '.input.secret | fromdate',
      '[splits("a"; .input.secret)]',
      '.input.secret | test("("))',
    ]) {
      const outcome = await one(sut, expression);
      assert.equal(outcome.ok, false, expression);
      const detail = outcome.ok ? '' : outcome.error.detail;
      assert.doesNotMatch(detail, /s3cr3t/, detail);
    }
  });

  it('rejects what is pending when closed', async () => {
    const sut = makeSut({ timeoutMs: 30_000 });
    const pending = rejection(sut.evaluate(['def f: f; f'], input, { timeoutMs: 30_000 }));
    setTimeout(() => void sut.close(), 100);
    assert.match((await pending).detail, /closed/);
  });
});

describe('withoutValueExcerpts', () => {
  it('cuts every value jq quotes in a message down to its type', () => {
    assert.equal(withoutValueExcerpts('string ("s3cr3t") cannot be parsed as a number'), 'string (…) cannot be parsed as a number');
    assert.equal(withoutValueExcerpts('string ("a") and number (1) cannot be added'), 'string (…) and number (…) cannot be added');
    assert.equal(withoutValueExcerpts('object ({"token":"x)y"}) has no keys'), 'object (…) has no keys');
    assert.equal(withoutValueExcerpts('Cannot iterate over string ("s3cr3t-val...)'), 'Cannot iterate over string (…)');
    assert.equal(withoutValueExcerpts('array ([1,[2,"(]"]]) and object ({"a":...) cannot be added'), 'array (…) and object (…) cannot be added');
    assert.equal(withoutValueExcerpts('Cannot index number with "id" (see the manual)'), 'Cannot index number with "id" (see the manual)');
    assert.equal(withoutValueExcerpts('unterminated string ("abc'), 'unterminated string (…)');
  });
});

describe('withoutQuotedText', () => {
  it('cuts every quoted piece of a message, escaped quotes and unterminated ones included', () => {
    assert.equal(withoutQuotedText(`x (while parsing 's3cr3t')`), `x (while parsing '…')`);
    assert.equal(withoutQuotedText('date "s3cr3t" does not match format "%Y"'), 'date "…" does not match format "…"');
    assert.equal(withoutQuotedText('a "b\\"c" d'), 'a "…" d');
    assert.equal(withoutQuotedText('open "never closed'), 'open "…');
  });
});
