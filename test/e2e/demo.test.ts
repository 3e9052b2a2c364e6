import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { ROOT } from '../support/built';

describe('npm run demo', () => {
  it('runs set, inject, wait, an HTTP call, an OpenAPI call and a dead letter in embedded mode, each traced, and exits 0 with --once', () => {
    const r = spawnSync('npm', ['run', '--silent', 'demo', '--', '--once'], { cwd: ROOT, env: { PATH: process.env['PATH'], HOME: process.env['HOME'] }, encoding: 'utf8', timeout: 120_000 });
    for (const name of ['initialize (set)', 'environment (inject)', 'pause (wait)', 'fetchPetHttp (call)', 'fetchPetOpenApi (call)']) {
      assert.match(r.stdout, new RegExp(`== ${name.replace(/[()]/g, '\\$&')}: success`), `${name}\n${r.stdout}\n${r.stderr}`);
    }
    assert.match(r.stdout, /== beamUp \(teleport\): failed: unsupported task type: teleport .*also a dead letter/);
    assert.match(r.stdout, /^dead letters: 1 \(beamUp: /m);
    assert.match(r.stdout, /"name":"Rex"/, 'the calls returned the example pet');
    // Every task continues the trace its request carried: the same trace id, and the task span's own
    // id on the completion; the task of an unknown type never ran, so it passes the request's on.
    const traces = [...r.stdout.matchAll(/trace ([0-9a-f]{32}): request traceparent 00-\1-([0-9a-f]{16})-01 → completion 00-([0-9a-f]{32})-([0-9a-f]{16})-01/g)];
    assert.equal(traces.length, 6, r.stdout);
    assert.ok(traces.every(([, traceId, , completionTrace]) => completionTrace === traceId));
    assert.deepEqual(traces.map(([, , parentSpan, , completionSpan]) => parentSpan === completionSpan), [false, false, false, false, false, true]);
    assert.match(r.stdout, /all example tasks ended as expected/);
    // The metrics moved: five successes, one OpenAPI document fetched (a cache miss), one closed circuit for the example API.
    for (const type of ['set', 'inject', 'wait']) assert.match(r.stdout, new RegExp(`executor_tasks_total\\{task_type="${type}",outcome="success"\\} 1`));
    assert.match(r.stdout, /executor_tasks_total\{task_type="call",outcome="success"\} 2/);
    assert.match(r.stdout, /executor_dead_letters_total\{reason="UNKNOWN_TASK_TYPE"\} 1/);
    assert.match(r.stdout, /executor_openapi_cache_total\{result="miss"\} 1/);
    assert.match(r.stdout, /executor_circuit_breakers\{state="closed"\} 1/);
    assert.equal(r.status, 0, r.stderr);
  });
});
