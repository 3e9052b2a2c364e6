/**
 * Every runtime dependency in package.json is used by the code in src/, and every package the code
 * uses is declared: an unused dependency is installed in every image (and its engines warnings
 * printed by every `npm ci`) for nothing.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const root = path.resolve(__dirname, '../../..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(p));
    else if (entry.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Packages named by imports, `require(…)`, `require.resolve(…)` and dynamic imports in src/ (node built-ins and relative paths left out). */
function packagesUsedBySource(): Set<string> {
  const used = new Set<string>();
  const pattern = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+|\brequire(?:\.resolve)?\s*\(\s*)'([^'.][^']*)'/g;
  for (const file of sourceFiles(path.join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(pattern)) {
      const specifier = m[1]!;
      if (specifier.startsWith('node:')) continue;
      used.add(packageOf(specifier));
    }
  }
  return used;
}

describe('package.json dependencies', () => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  const declared = Object.keys(pkg.dependencies).sort();
  const used = packagesUsedBySource();

  it('finds the imports it looks for', () => {
    for (const name of ['inversify', 'ioredis', 'reflect-metadata', 'jq-wasm']) assert.ok(used.has(name), `${name} is seen as used`);
  });

  it('declares no dependency that nothing in src/ imports', () => {
    assert.deepEqual(declared.filter((name) => !used.has(name)), []);
  });

  it('declares every package that src/ imports (ts-node, a dev dependency, only when running the sources)', () => {
    const devOnly = ['ts-node'];
    for (const name of devOnly) assert.ok(name in pkg.devDependencies, `${name} is a dev dependency`);
    assert.deepEqual([...used].filter((name) => !declared.includes(name) && !devOnly.includes(name)).sort(), []);
  });
});
