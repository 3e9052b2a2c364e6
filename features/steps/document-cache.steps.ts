import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Given, Then } from '@cucumber/cucumber';
import nock from 'nock';
import { ExecutorWorld } from '../support/world';

/** The document an origin serves now, with the validators it answers conditional requests by. */
interface ServedDocument {
  version: string;
  text: string;
  conditional: string[];
}

function served(world: ExecutorWorld): ServedDocument {
  const document = world.bag.get('document.served') as ServedDocument | undefined;
  if (!document) throw new Error('no document served yet');
  return document;
}

function thingsApi(origin: string, version: string): string {
  return JSON.stringify({
    openapi: '3.0.3',
    info: { title: 'Things', version },
    servers: [{ url: origin }],
    paths: { '/things/{id}': { get: { operationId: 'getThing', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }], responses: { '200': { description: 'the thing' } } } } },
  });
}

Given('the API {string} serves its document {string} at version {string}, with an ETag', function (this: ExecutorWorld, origin: string, path: string, version: string) {
  const existing = this.bag.get('document.served') as ServedDocument | undefined;
  if (existing) {
    existing.version = version;
    existing.text = thingsApi(origin, version);
    return;
  }
  const document: ServedDocument = { version, text: thingsApi(origin, version), conditional: [] };
  this.bag.set('document.served', document);
  nock(origin)
    .persist()
    .get(path)
    .reply(function () {
      const ifNoneMatch = this.req.headers['if-none-match'];
      const etag = `"${document.version}"`;
      if (typeof ifNoneMatch === 'string') {
        document.conditional.push(ifNoneMatch);
        if (ifNoneMatch === etag) return [304, '', { ETag: etag }];
      }
      return [200, document.text, { 'Content-Type': 'application/json', ETag: etag }];
    });
});

Given('the API {string} now serves its document at version {string}', function (this: ExecutorWorld, origin: string, version: string) {
  const document = served(this);
  document.version = version;
  document.text = thingsApi(origin, version);
});

Then('the document should have been asked for with If-None-Match {string}', function (this: ExecutorWorld, etag: string) {
  assert.deepEqual(served(this).conditional, [etag]);
});

Then('the completion metadata should report the document {string} at version {string}', function (this: ExecutorWorld, url: string, version: string) {
  const document = this.completionOf().data.metadata.document;
  assert.equal(document?.url, url);
  assert.equal(document?.version, version);
  assert.match(document?.sha256 ?? '', /^[0-9a-f]{64}$/);
});

Then('the reported SHA-256 should be the one of the examples file {string}', function (this: ExecutorWorld, file: string) {
  const expected = createHash('sha256').update(readFileSync(require.resolve(`@readme/oas-examples/${file}`))).digest('hex');
  assert.equal(this.completionOf().data.metadata.document?.sha256, expected);
});

Then('the reported SHA-256 should be the one of the document served', function (this: ExecutorWorld) {
  const expected = createHash('sha256').update(served(this).text).digest('hex');
  assert.equal(this.completionOf().data.metadata.document?.sha256, expected);
});

Given('the call task pins the document to the SHA-256 of the document served', function (this: ExecutorWorld) {
  const spec = this.bag.get('spec') as { parameters: { document: Record<string, unknown> } } | undefined;
  if (!spec) throw new Error('no task described yet');
  spec.parameters.document['version'] = `sha256:${createHash('sha256').update(served(this).text).digest('hex')}`;
});
