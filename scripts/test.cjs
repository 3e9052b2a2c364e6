#!/usr/bin/env node
/**
 * `npm test`: lint, layer check, type check, unit/contract/integration/e2e tests (node:test)
 * and the Cucumber suite. Every stage runs even when an earlier one fails; the last line is
 * `N passed, M failed`, summed over all suites (a failing lint or layer check counts as one failure).
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const only = process.argv.slice(2);
let passed = 0;
let failed = 0;
const summary = [];

function run(name, command, args, env = {}) {
  if (only.length && !only.includes(name)) return null;
  process.stdout.write(`\n=== ${name}: ${command} ${args.join(' ')}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  process.stdout.write(result.stdout ?? '');
  process.stderr.write(result.stderr ?? '');
  return result;
}

function check(name, command, args) {
  const result = run(name, command, args);
  if (!result) return;
  if (result.status === 0) {
    passed++;
    summary.push(`${name}: ok`);
  } else {
    failed++;
    summary.push(`${name}: FAILED (exit ${result.status})`);
  }
}

function files(dir, suffix) {
  const out = [];
  const walk = (d) => {
    if (!fs.existsSync(d)) return;
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith(suffix)) out.push(path.relative(root, p));
    }
  };
  walk(path.join(root, dir));
  return out.sort();
}

function nodeTests(name, dir) {
  const list = files(dir, '.test.ts');
  if (list.length === 0) return;
  const result = run(name, process.execPath, ['--require', 'ts-node/register/transpile-only', '--test', '--test-concurrency=1', '--test-reporter=spec', ...list], { TS_NODE_TRANSPILE_ONLY: 'true' });
  if (!result) return;
  const out = `${result.stdout}\n${result.stderr}`;
  const pass = Number(/^ℹ pass (\d+)/m.exec(out)?.[1] ?? 0);
  const fail = Number(/^ℹ fail (\d+)/m.exec(out)?.[1] ?? 0) + Number(/^ℹ cancelled (\d+)/m.exec(out)?.[1] ?? 0);
  const broken = result.status !== 0 && fail === 0 ? 1 : 0;
  passed += pass;
  failed += fail + broken;
  summary.push(`${name}: ${pass} passed, ${fail + broken} failed`);
}

function cucumber() {
  const result = run('features', bin('cucumber-js'), []);
  if (!result) return;
  const m = /^(\d+) scenarios? \(([^)]*)\)/m.exec(result.stdout ?? '');
  const pass = Number(/(\d+) passed/.exec(m?.[2] ?? '')?.[1] ?? 0);
  let fail = 0;
  for (const kind of ['failed', 'undefined', 'ambiguous', 'pending', 'skipped']) fail += Number(new RegExp(`(\\d+) ${kind}`).exec(m?.[2] ?? '')?.[1] ?? 0);
  if (result.status !== 0 && fail === 0) fail = 1;
  passed += pass;
  failed += fail;
  summary.push(`features: ${pass} passed, ${fail} failed`);
}

fs.mkdirSync(path.join(root, '.tmp'), { recursive: true });
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
check('lint', bin('eslint'), ['.', '--max-warnings=0']);
check('layers', bin('depcruise'), ['src', '--config', '.dependency-cruiser.cjs']);
check('typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
check('build', process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build', '--silent']);
nodeTests('unit', 'test/unit');
nodeTests('contract', 'test/contract');
nodeTests('integration', 'test/integration');
nodeTests('e2e', 'test/e2e');
cucumber();

process.stdout.write(`\n${summary.join('\n')}\n${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
