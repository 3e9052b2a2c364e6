import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../support/fake-clock';
import { ProtoDocuments, ProtoDocumentSettings } from '../../../src/adapters/grpc/proto-documents';
import { HttpClient, HttpRequest, HttpResponse } from '../../../src/application/ports/http-client.port';
import { errors, WorkflowError } from '../../../src/domain/workflow-error';

const GREETER = 'syntax = "proto3";\npackage demo;\nmessage Hello { string name = 1; }\nservice Greeter { rpc Say (Hello) returns (Hello); }\n';

const SETTINGS: ProtoDocumentSettings = { protoDir: undefined, maxDocumentBytes: 1 << 20, maxProtoBytes: 1 << 18, requestTimeoutMs: 10_000, cacheTtlMs: 60_000, maxDocuments: 8, maxFiles: 8 };

/**
 * Serves the documents only when `release` is called, as a slow server would; a request whose
 * signal aborts fails at once with CANCELLED, as the undici client does.
 */
class HeldDocuments implements HttpClient {
  readonly requests: HttpRequest[] = [];
  private readonly held: (() => void)[] = [];

  constructor(private readonly texts: Record<string, string>) {}

  send(request: HttpRequest): Promise<HttpResponse> {
    this.requests.push(request);
    return new Promise((resolve, reject) => {
      request.signal?.addEventListener('abort', () => reject(errors.cancelled('request cancelled')), { once: true });
      this.held.push(() => resolve({ status: 200, headers: {}, body: new TextEncoder().encode(this.texts[request.url] ?? ''), url: request.url }));
    });
  }

  release(): void {
    for (const answer of this.held.splice(0)) answer();
  }

  async close(): Promise<void> {}
}

describe('proto documents', () => {
  it('a caller whose task is cancelled stops waiting; the shared load goes on for the other caller', async () => {
    const http = new HeldDocuments({ 'http://docs/greeter.proto': GREETER });
    const documents = new ProtoDocuments(http, new FakeClock(), SETTINGS);
    const cancelled = new AbortController();
    const first = documents.method('acme', 'http://docs/greeter.proto', 'demo.Greeter', 'Say', 10_000, cancelled.signal);
    const second = documents.method('acme', 'http://docs/greeter.proto', 'demo.Greeter', 'Say', 10_000, new AbortController().signal);
    await new Promise((resolve) => setImmediate(resolve));
    cancelled.abort();
    await assert.rejects(first, (e: unknown) => e instanceof WorkflowError && e.code === 'CANCELLED' && e.detail === 'grpc call: task cancelled while loading proto document http://docs/greeter.proto');
    http.release();
    const method = await second;
    assert.equal(method.path, '/demo.Greeter/Say');
    assert.equal(http.requests.length, 1, 'one fetch for both callers');
  });

  it("a cancelled caller's own error is the signal's reason when it is a workflow error (the task's deadline)", async () => {
    const http = new HeldDocuments({ 'http://docs/greeter.proto': GREETER });
    const documents = new ProtoDocuments(http, new FakeClock(), SETTINGS);
    const deadline = new AbortController();
    const waiting = documents.method('acme', 'http://docs/greeter.proto', 'demo.Greeter', 'Say', 10_000, deadline.signal);
    deadline.abort(errors.timeout('task timed out after 5000 ms'));
    await assert.rejects(waiting, (e: unknown) => e instanceof WorkflowError && e.code === 'TIMEOUT' && e.detail === 'task timed out after 5000 ms');
    http.release();
    assert.equal((await documents.method('acme', 'http://docs/greeter.proto', 'demo.Greeter', 'Say', 10_000)).path, '/demo.Greeter/Say', 'the load finished and is cached');
    assert.equal(http.requests.length, 1);
  });
});
