/**
 * The examples of docs/call-validation.md, run: each `<!-- example: name -->` block is taken from
 * the document, its Petstore address pointed at a local server serving the published Petstore
 * (@readme/oas-examples), and its stated result compared with what the executor does.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { validate } from '../../src/cli/validate-command';
import { loadConfig } from '../../src/config/env';
import { JsonObject } from '../../src/domain/json';
import { Executor, json, LocalServer } from './support/call-harness';

const ROOT = path.resolve(__dirname, '../..');
const DOC_ORIGIN = 'http://127.0.0.1:8080';
const EXAMPLES = path.dirname(require.resolve('@readme/oas-examples/package.json'));

/** The fenced block after each `<!-- example: name -->` marker. */
function examples(): Map<string, string> {
  const text = fs.readFileSync(path.join(ROOT, 'docs/call-validation.md'), 'utf8');
  const out = new Map<string, string>();
  for (const m of text.matchAll(/<!-- example: (\S+) -->\n```[a-z]*\n([\s\S]*?)\n```/g)) out.set(m[1] ?? '', m[2] ?? '');
  return out;
}

describe('docs/call-validation.md examples', () => {
  let server: LocalServer;
  let executor: Executor;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flunq-validation-docs-'));
  const blocks = examples();
  const example = (name: string): string => {
    const block = blocks.get(name);
    assert.ok(block !== undefined, `example ${name} is in the document`);
    return block.split(DOC_ORIGIN).join(server.origin);
  };

  before(async () => {
    server = new LocalServer((req, res) => {
      if (req.url === '/openapi.json') {
        const text = fs.readFileSync(path.join(EXAMPLES, '3.0/json/petstore.json'), 'utf8');
        return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(text.split('http://petstore.swagger.io').join(server.origin));
      }
      json(res, 200, {});
    });
    await server.start();
    executor = new Executor();
    await executor.start();
  });
  after(async () => {
    await executor.stop();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('flunq-executor validate pets.yaml prints the lines shown and exits 1', async () => {
    const file = path.join(dir, 'pets.yaml');
    fs.writeFileSync(file, example('pets.yaml'));
    const out: string[] = [];
    const cfg = loadConfig({ EVENT_STREAM_TYPE: 'memory', EXECUTOR_SUBMIT_API: 'false', LOG_LEVEL: 'error', HOSTNAME: 'test' });
    const code = await validate(file, cfg, { out: (t) => out.push(t), err: () => undefined });
    assert.deepEqual(out, example('pets.out').split('\n'));
    assert.equal(code, 1);
  });

  it('add-pet.json fails with the error shown, and nothing is sent', async () => {
    const request = JSON.parse(example('add-pet.json')) as { task_name: string; config: { parameters: JsonObject } };
    const completion = await executor.run(request.task_name, request.config.parameters);
    assert.equal(completion.success, false);
    assert.equal(completion.error, example('add-pet.error'));
    assert.deepEqual(server.seen.filter((s) => s.url.startsWith('/v2/')), []);
  });
});
