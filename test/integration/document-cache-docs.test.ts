/**
 * The examples of docs/document-cache.md, run: the pinned task is submitted to the executor (test
 * profile, real HTTP) against a local server serving the published Petstore byte for byte, and the
 * error and completion metadata it gives are compared with the page's.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JsonObject } from '../../src/domain/json';
import { Executor, json, LocalServer } from './support/call-harness';

const ROOT = path.resolve(__dirname, '../..');
const DOC_ORIGIN = 'http://127.0.0.1:8080';
const PETSTORE = fs.readFileSync(require.resolve('@readme/oas-examples/3.0/json/petstore.json'));

/** The fenced block after each `<!-- example: name -->` marker. */
function examples(): Map<string, string> {
  const text = fs.readFileSync(path.join(ROOT, 'docs/document-cache.md'), 'utf8');
  const out = new Map<string, string>();
  for (const m of text.matchAll(/<!-- example: (\S+) -->\n```[a-z]*\n([\s\S]*?)\n```/g)) out.set(m[1] ?? '', m[2] ?? '');
  return out;
}

describe('docs/document-cache.md examples', () => {
  let server: LocalServer;
  let executor: Executor;
  const blocks = examples();
  const example = (name: string): string => {
    const block = blocks.get(name);
    assert.ok(block !== undefined, `example ${name} is in the document`);
    return block.split(DOC_ORIGIN).join(server.origin);
  };

  before(async () => {
    server = new LocalServer((req, res) => {
      if (req.url === '/openapi.json') return void res.writeHead(200, { 'Content-Type': 'application/json', ETag: '"petstore"' }).end(PETSTORE);
      json(res, 200, {});
    });
    await server.start();
    executor = new Executor();
    await executor.start();
  });
  after(async () => {
    await executor.stop();
    await server.stop();
  });

  it('pinned-task.json fails with the error shown, sends nothing, and its completion metadata is metadata.json', async () => {
    const request = JSON.parse(example('pinned-task.json')) as { task_name: string; config: { parameters: JsonObject } };
    const completion = await executor.run(request.task_name, request.config.parameters);
    assert.equal(completion.success, false);
    assert.equal(completion.error, example('pinned-task.error'));
    assert.deepEqual(completion.data.metadata, JSON.parse(example('metadata.json')));
    assert.deepEqual(server.seen.map((s) => s.url), ['/openapi.json'], 'only the document was fetched');
  });
});
