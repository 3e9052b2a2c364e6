import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import Redis from 'ioredis';
import { defineScripts, loadScripts, SCRIPTS_DIR } from '../../../src/adapters/redis/lua-scripts';

describe('Redis Lua scripts', () => {
  it('are read from scripts/ beside the module, every file there and nothing else', () => {
    const scripts = loadScripts();
    assert.equal(SCRIPTS_DIR, path.resolve(__dirname, '../../../src/adapters/redis/scripts'));
    const files = readdirSync(SCRIPTS_DIR).filter((f) => f.endsWith('.lua'));
    assert.equal(Object.keys(scripts).length, files.length, 'each .lua file is loaded, and each loaded script has a file');
    for (const [name, source] of Object.entries(scripts)) assert.match(source, /redis\.(p?call)\(/, `${name} is a Redis script`);
  });

  it('say which file is missing and how to get it when a build did not copy them', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flunq-lua-'));
    try {
      writeFileSync(path.join(dir, 'settle.lua'), 'return 1');
      assert.throws(() => loadScripts(dir), (error: Error) => error.message.includes(path.join(dir, 'create-group.lua')) && error.message.includes('npm run build'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('become commands on a connection (no connection needed to define them)', () => {
    const redis = new Redis({ lazyConnect: true });
    try {
      const scripted = defineScripts(redis);
      for (const name of ['flunqSettle', 'flunqCreateGroup', 'flunqKeepAlive', 'flunqClaim', 'flunqReleaseAck'] as const) assert.equal(typeof scripted[name], 'function', name);
    } finally {
      redis.disconnect();
    }
  });
});
