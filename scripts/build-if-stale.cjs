#!/usr/bin/env node
/**
 * `prestart`, `pretask`, `predlq`: runs `npm run build` only when dist/ is missing or older than a
 * source (src/, the tsconfig files, package.json), so that `npm start` and `npm run task` start at
 * once on a fresh build. The check is by modification time: the oldest file under dist/src must be
 * newer than the newest input.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/** Every file under `dir`. */
function files(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...files(p));
    else out.push(p);
  }
  return out;
}

const mtime = (file) => fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs;

/**
 * Stale when an output of a current source is missing or older than the newest input. Only the
 * outputs of today's sources count: a leftover of a deleted source must not force a build each time.
 */
function isStale() {
  const sources = files(path.join(root, 'src'));
  const inputs = [...sources, ...['tsconfig.json', 'tsconfig.build.json', 'package.json'].map((f) => path.join(root, f))];
  const newestInput = Math.max(...inputs.map((f) => mtime(f) ?? 0));
  for (const source of sources) {
    const relative = path.relative(root, source);
    const output = path.join(root, 'dist', relative.endsWith('.ts') ? relative.replace(/\.ts$/, '.js') : relative);
    const built = mtime(output);
    if (built === undefined || built < newestInput) return true;
  }
  return false;
}

if (isStale()) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
