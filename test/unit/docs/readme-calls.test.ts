/**
 * The README's gRPC, AsyncAPI and GraphQL tasks are the ones their pages show and the integration
 * tests run (test/integration/call-grpc.test.ts, asyncapi-documented-example.test.ts and
 * call-graphql.test.ts run the pages' blocks): the same JSON, whatever its layout.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const root = path.join(__dirname, '..', '..', '..');
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');

/** The JSON block right after `marker` (an HTML comment or a line naming a file) in `text`. */
function jsonAfter(text: string, marker: string, page: string): unknown {
  const at = text.indexOf(marker);
  assert.ok(at >= 0, `${page} has ${marker}`);
  const block = /```json\n([\s\S]*?)\n```/.exec(text.slice(at));
  assert.ok(block?.[1], `a JSON block follows ${marker} in ${page}`);
  return JSON.parse(block[1]);
}

const readme = read('README.md');

describe('the README’s gRPC, AsyncAPI and GraphQL tasks', () => {
  it('come after the tour and before the documentation index', () => {
    const section = readme.indexOf('## Calling gRPC, AsyncAPI and GraphQL');
    assert.ok(section > readme.indexOf('## A five-minute tour with the console'), 'after the tour');
    assert.ok(section < readme.indexOf('## Documentation'), 'before the documentation index');
  });

  it('the gRPC task is the one docs/call-grpc.md shows and call-grpc.test.ts runs', () => {
    assert.deepEqual(jsonAfter(readme, '<!-- example: readme-grpc -->', 'README.md'), jsonAfter(read('docs/call-grpc.md'), '<!-- grpc-example-task -->', 'docs/call-grpc.md'));
  });

  it('the AsyncAPI task is the parameters of place-order.json in docs/call-asyncapi.md, which asyncapi-documented-example.test.ts runs', () => {
    const request = jsonAfter(read('docs/call-asyncapi.md'), '`place-order.json`', 'docs/call-asyncapi.md') as { config: { parameters: unknown } };
    assert.deepEqual(jsonAfter(readme, '<!-- example: readme-asyncapi -->', 'README.md'), request.config.parameters);
  });

  it('the GraphQL task is the first example of docs/call-graphql.md, which call-graphql.test.ts runs', () => {
    assert.deepEqual(jsonAfter(readme, '<!-- example: readme-graphql -->', 'README.md'), jsonAfter(read('docs/call-graphql.md'), '<!-- example: first -->', 'docs/call-graphql.md'));
  });
});
