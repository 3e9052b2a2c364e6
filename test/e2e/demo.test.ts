import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { ROOT } from '../support/built';

describe('npm run demo', () => {
  it('runs set, inject, wait, an HTTP call and an OpenAPI call in embedded mode and exits 0', () => {
    const r = spawnSync('npm', ['run', '--silent', 'demo'], { cwd: ROOT, env: { PATH: process.env['PATH'], HOME: process.env['HOME'] }, encoding: 'utf8', timeout: 120_000 });
    for (const name of ['initialize (set)', 'environment (inject)', 'pause (wait)', 'fetchPetHttp (call)', 'fetchPetOpenApi (call)']) {
      assert.match(r.stdout, new RegExp(`== ${name.replace(/[()]/g, '\\$&')}: success`), `${name}\n${r.stdout}\n${r.stderr}`);
    }
    assert.match(r.stdout, /"name": "Rex"/, 'the calls returned the example pet');
    assert.match(r.stdout, /all example tasks succeeded/);
    // The metrics moved: five successes, one OpenAPI document fetched (a cache miss), one closed circuit for the example API.
    for (const type of ['set', 'inject', 'wait']) assert.match(r.stdout, new RegExp(`executor_tasks_total\\{task_type="${type}",outcome="success"\\} 1`));
    assert.match(r.stdout, /executor_tasks_total\{task_type="call",outcome="success"\} 2/);
    assert.match(r.stdout, /executor_openapi_cache_total\{result="miss"\} 1/);
    assert.match(r.stdout, /executor_circuit_breakers\{state="closed"\} 1/);
    assert.equal(r.status, 0, r.stderr);
  });
});
