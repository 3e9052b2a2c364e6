import assert from 'node:assert/strict';
import { Given, Then } from '@cucumber/cucumber';
import { GRPC_STATUS } from '../../src/application/handlers/call/grpc-status';
import { FakeGrpcCall } from '../../test/support/fake-grpc-client';
import { ExecutorWorld } from '../support/world';

/** `package.Service/Method` → its two parts. */
function split(path: string): [string, string] {
  const at = path.lastIndexOf('/');
  assert.ok(at > 0, `a method is named Service/Method, not ${path}`);
  return [path.slice(0, at), path.slice(at + 1)];
}

function codeOf(name: string): number {
  const code = GRPC_STATUS.findIndex((m) => m.name === name);
  assert.ok(code >= 0, `no gRPC status ${name}`);
  return code;
}

function lastCall(world: ExecutorWorld): FakeGrpcCall {
  const call = world.grpc.calls.at(-1);
  assert.ok(call, 'the gRPC peer received no call');
  return call;
}

Given('the gRPC method {string} answers:', function (this: ExecutorWorld, path: string, json: string) {
  const [service, method] = split(path);
  this.grpc.answer(service, method, [{ messages: [JSON.parse(json)] }]);
});

Given('the gRPC method {string} answers with the messages:', function (this: ExecutorWorld, path: string, json: string) {
  const [service, method] = split(path);
  this.grpc.answer(service, method, [{ messages: JSON.parse(json) as unknown[] }], 'many');
});

Given('the gRPC method {string} fails with status {word} {string}', function (this: ExecutorWorld, path: string, status: string, details: string) {
  const [service, method] = split(path);
  this.grpc.answer(service, method, [{ code: codeOf(status), details }]);
});

Given('the gRPC method {string} fails {int} time(s) with status {word}, then answers:', function (this: ExecutorWorld, path: string, times: number, status: string, json: string) {
  const [service, method] = split(path);
  const failures = Array.from({ length: times }, () => ({ code: codeOf(status), details: 'try again later' }));
  this.grpc.answer(service, method, [...failures, { messages: [JSON.parse(json)] }]);
});

Then('the gRPC peer should have received {int} call(s)', function (this: ExecutorWorld, n: number) {
  assert.equal(this.grpc.calls.length, n);
});

Then('the gRPC call should carry the metadata {string} = {string}', function (this: ExecutorWorld, name: string, value: string) {
  assert.equal(lastCall(this).request.metadata[name], value);
});

Then('the gRPC call should carry the arguments:', function (this: ExecutorWorld, json: string) {
  assert.deepEqual(lastCall(this).request.message, JSON.parse(json));
});

Then('the gRPC call should go to {string} for tenant {string} with the document {string}', function (this: ExecutorWorld, target: string, tenant: string, proto: string) {
  const call = lastCall(this);
  assert.equal(`${call.request.target.host}:${call.request.target.port}`, target);
  assert.equal(call.tenant, tenant);
  assert.equal(call.proto, proto);
});
