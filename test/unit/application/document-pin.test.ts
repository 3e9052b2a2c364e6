import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OpenApiCallConfig, parseCallConfig } from '../../../src/application/handlers/call/call-config';
import { pinMatches } from '../../../src/application/handlers/call/document-pin';
import { isWorkflowError } from '../../../src/domain/workflow-error';

describe('document.version, the pin of an OpenAPI call', () => {
  it('is the info.version or a SHA-256, compared exactly (a SHA-256 in any case, with or without sha256:)', () => {
    const identity = { version: '1.2.0', sha256: 'ab'.repeat(32) };
    assert.equal(pinMatches('1.2.0', identity), true);
    assert.equal(pinMatches('1.2', identity), false);
    assert.equal(pinMatches(`sha256:${'AB'.repeat(32)}`, identity), true);
    assert.equal(pinMatches('ab'.repeat(32), identity), true);
    assert.equal(pinMatches('cd'.repeat(32), identity), false);
    assert.equal(pinMatches('1.2.0', {}), false);
  });

  it('is read from the document object, a number as text, and refused when it is not a short text', () => {
    const call = (document: unknown) => parseCallConfig({ call_type: 'openapi', document, operation_id: 'op' });
    assert.equal((call({ endpoint: 'https://a.test/o.json', version: ' 2.0.0 ' }) as OpenApiCallConfig).documentVersion, '2.0.0');
    assert.equal((call({ endpoint: 'https://a.test/o.json', version: 1.5 }) as OpenApiCallConfig).documentVersion, '1.5');
    assert.equal((call('https://a.test/o.json') as OpenApiCallConfig).documentVersion, undefined);
    for (const bad of ['', true, { v: 1 }, 'x'.repeat(257)]) {
      assert.throws(() => call({ endpoint: 'https://a.test/o.json', version: bad }), (e: unknown) => isWorkflowError(e) && e.kind === 'configuration' && /document\.version must be/.test(e.detail));
    }
  });
});
