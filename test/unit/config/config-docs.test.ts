import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CONFIG_PAGE, configTable, END, envExample, START } from '../../../scripts/config-table';
import { loadConfig, VARIABLES } from '../../../src/config/env';

const root = path.resolve(__dirname, '../../..');
const specs = Object.values(VARIABLES);

/** `NAME → default` from `.env.example` (commented-out `# NAME=value` lines count). */
function envFile(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(path.join(root, '.env.example'), 'utf8').split('\n')) {
    const m = /^(?:#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

/** `NAME → default` from the table of docs/configuration.md between the markers. */
function documentedTable(): Map<string, string> {
  const page = readFileSync(path.join(root, CONFIG_PAGE), 'utf8');
  const start = page.indexOf(START);
  const end = page.indexOf(END);
  assert.ok(start >= 0 && end > start, `${CONFIG_PAGE} has the config-table markers`);
  const out = new Map<string, string>();
  for (const line of page.slice(start, end).split('\n')) {
    const m = /^\| `([A-Z][A-Z0-9_]*)` \| ([^|]*) \|/.exec(line);
    if (m) out.set(m[1]!, m[2]!.trim() === '(unset)' ? '' : m[2]!.trim().replace(/^`|`$/g, ''));
  }
  return out;
}

describe('configuration documentation', () => {
  it('.env.example lists every variable with its default, and nothing else', () => {
    const env = envFile();
    assert.deepEqual([...env.keys()].sort(), specs.map((s) => s.name).sort());
    for (const s of specs) assert.equal(env.get(s.name), s.default, s.name);
  });

  it('the table of docs/configuration.md lists every variable with its default, and nothing else', () => {
    const table = documentedTable();
    assert.deepEqual([...table.keys()].sort(), specs.map((s) => s.name).sort());
    for (const s of specs) assert.equal(table.get(s.name), s.default, s.name);
  });

  it('the documented table and .env.example are exactly what `npm run docs:config` generates', () => {
    assert.equal(readFileSync(path.join(root, '.env.example'), 'utf8'), envExample());
    assert.ok(readFileSync(path.join(root, CONFIG_PAGE), 'utf8').includes(`${START}\n${configTable()}\n${END}`));
    assert.ok(!readFileSync(path.join(root, 'README.md'), 'utf8').includes(START), 'the README front page no longer holds the table');
  });

  it('every documented default is itself valid', () => {
    const env: Record<string, string> = {};
    for (const [name, value] of envFile()) env[name] = value;
    assert.doesNotThrow(() => loadConfig(env));
  });
});
