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
    assert.equal(r.status, 0, r.stderr);
  });
});
