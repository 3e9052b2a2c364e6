/**
 * `flunq-executor validate`: the pre-flight check of a task request or a workflow against the
 * OpenAPI documents its call tasks name, served by a local server that counts what it is asked:
 * the documents only, never an operation.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InputError } from '../../src/cli/cli-errors';
import { HELP } from '../../src/cli/help';
import { closest, tasksOf, validate } from '../../src/cli/validate-command';
import { loadConfig } from '../../src/config/env';
import { LocalServer } from './support/call-harness';

const EXAMPLES = path.dirname(require.resolve('@readme/oas-examples/package.json'));
const ROOT = path.resolve(__dirname, '../..');

describe('flunq-executor validate', () => {
  let server: LocalServer;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flunq-validate-'));
  const cfg = loadConfig({ EVENT_STREAM_TYPE: 'memory', EXECUTOR_SUBMIT_API: 'false', LOG_LEVEL: 'error', HOSTNAME: 'test' });

  before(async () => {
    server = new LocalServer((req, res) => {
      if (req.url === '/petstore.json') {
        const text = fs.readFileSync(path.join(EXAMPLES, '3.0/json/petstore.json'), 'utf8');
        return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(text);
      }
      res.writeHead(404).end();
    });
    await server.start();
  });
  after(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = async (name: string, text: string): Promise<{ code: number; out: string[]; err: string[] }> => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    const out: string[] = [];
    const err: string[] = [];
    const code = await validate(file, cfg, { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out, err };
  };

  it('reports each problem of a workflow on one line, skipping expressions, and calls no operation', async () => {
    const doc = `${server.origin}/petstore.json`;
    const workflow = `
document: { dsl: '1.0.0', namespace: test, name: pets, version: '1.0.0' }
use:
  authentications:
    petstoreKey: { apiKey: { key: api_key, value: special-key, in: header } }
do:
  - fetch:
      call: openapi
      with:
        document: { endpoint: ${doc} }
        operationId: getPetByID
  - add:
      call: openapi
      with:
        document: { endpoint: ${doc} }
        operationId: addPet
        authentication: { use: petstoreKy }
        parameters:
          body: { name: 42, photoUrls: '\${ .urls }', status: lost }
  - guarded:
      try:
        - remove:
            call: openapi
            with:
              document: { endpoint: ${doc} }
              operationId: deletePet
              parameters: { petId: '\${ .id }' }
        - find:
            call: openapi
            with:
              document: { endpoint: ${doc} }
              operationId: findPetsByStatus
              parameters: {}
      catch: { do: [ { plain: { call: http, with: { method: get, endpoint: ${server.origin}/x } } } ] }
`;
    const { code, out, err } = await run('workflow.yaml', workflow);
    assert.deepEqual(out, [
      'task fetch: unknown operation id "getPetByID" (did you mean "getPetById"?)',
      'task add: unknown authentication "petstoreKy" (did you mean "petstoreKey"?)',
      'task add: /body/name: must be string (type)',
      'task add: /body/status: must be equal to one of the allowed values (enum)',
      'task find: missing required query parameter "status"',
    ]);
    assert.equal(code, 1);
    assert.deepEqual(err, [`${path.join(dir, 'workflow.yaml')}: 5 problems in 5 call tasks`]);
    assert.deepEqual(server.seen.map((s) => s.url), ['/petstore.json'], 'only the document was fetched, once');
  });

  it('checks security schemes a task names and the credentials the operator configured, without calling anything', async () => {
    const doc = `${server.origin}/petstore.json`;
    const task = (operationId: string, authentication?: unknown, tenant = 'acme') =>
      JSON.stringify({ task_name: operationId, task_type: 'call', tenant_id: tenant, config: { parameters: { call_type: 'openapi', document: { endpoint: doc }, operation_id: operationId, parameters: { petId: 7 }, ...(authentication === undefined ? {} : { authentication }) } } });
    const credentials = path.join(dir, 'credentials.json');
    const configWith = (credential: Record<string, unknown>): ReturnType<typeof loadConfig> => {
      fs.writeFileSync(credentials, JSON.stringify({ credentials: [{ scheme: 'api_key', document: doc, tenants: ['acme'], allow_http: true, api_key_env: 'PET_KEY', ...credential }] }));
      return loadConfig({ EVENT_STREAM_TYPE: 'memory', EXECUTOR_SUBMIT_API: 'false', LOG_LEVEL: 'error', HOSTNAME: 'test', CALL_CREDENTIALS_FILE: credentials, PET_KEY: 'pet-key-value' });
    };
    // The document is served here, but its server is the published one.
    const withCredentials = configWith({ hosts: ['petstore.swagger.io'] });
    const check = async (name: string, text: string, config = cfg): Promise<string[]> => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, text);
      const out: string[] = [];
      await validate(file, config, { out: (t) => out.push(t), err: () => undefined });
      return out;
    };
    const before = server.seen.length;
    assert.deepEqual(await check('typo.json', task('getPetById', { use: 'api_kye' })), ['task getPetById: unknown authentication "api_kye" (did you mean "api_key"?)']);
    assert.deepEqual(await check('unset.json', task('getPetById', { use: 'api_key' })), [
      "task getPetById: no credential is configured for security scheme 'api_key' (for this tenant and document): give it in the task's authentication or in CALL_CREDENTIALS_FILE",
    ]);
    assert.deepEqual(await check('own.json', task('getPetById', { use: 'api_key', secret: '${ .secrets.key }' })), []);
    assert.deepEqual(await check('expression.json', task('getPetById', { use: '${ .scheme }' })), []);
    assert.deepEqual(await check('operator.json', task('getPetById'), withCredentials), []);
    assert.deepEqual(await check('tenant.json', task('getPetById', undefined, 'globex'), withCredentials), [
      "task getPetById: no credential is configured for security scheme 'api_key' (for this tenant and document): give it in the task's authentication or in CALL_CREDENTIALS_FILE",
    ]);
    assert.deepEqual(await check('implicit.json', task('deletePet'), withCredentials), [
      "task deletePet: security scheme 'petstore_auth' is oauth2 (implicit): only the clientCredentials flow is supported (the others need a user)",
    ]);
    assert.deepEqual(await check('unbound.json', task('getPetById'), configWith({})), [
      "task getPetById: the credential configured for security scheme 'api_key' may not be sent to this call: the credential is not bound to host petstore.swagger.io",
    ]);
    // Without a credentials file, requirements are not applied (CALL_SECURITY_REQUIREMENTS=auto): nothing to
    // report for a task without authentication; `enforce` applies them anyway, `off` never.
    assert.deepEqual(await check('none.json', task('getPetById')), []);
    assert.deepEqual(await check('enforced.json', task('getPetById'), loadConfig({ EVENT_STREAM_TYPE: 'memory', EXECUTOR_SUBMIT_API: 'false', LOG_LEVEL: 'error', HOSTNAME: 'test', CALL_SECURITY_REQUIREMENTS: 'enforce' })), [
      "task getPetById: no credential is configured for security scheme 'api_key' (for this tenant and document): give it in the task's authentication or in CALL_CREDENTIALS_FILE",
    ]);
    const off = loadConfig({ EVENT_STREAM_TYPE: 'memory', EXECUTOR_SUBMIT_API: 'false', LOG_LEVEL: 'error', HOSTNAME: 'test', CALL_CREDENTIALS_FILE: credentials, PET_KEY: 'k', CALL_SECURITY_REQUIREMENTS: 'off' });
    assert.deepEqual(await check('off.json', task('deletePet'), off), []);
    assert.deepEqual([...new Set(server.seen.slice(before).map((s) => s.url))], ['/petstore.json'], 'only the document was fetched');
  });

  it('exits 0 for a clean task request', async () => {
    const request = { task_name: 'fetchPet', task_type: 'call', tenant_id: 'acme', config: { parameters: { call_type: 'openapi', document: { endpoint: `${server.origin}/petstore.json` }, operation_id: 'getPetById', parameters: { petId: 7 } } } };
    const { code, out, err } = await run('task.json', JSON.stringify(request));
    assert.deepEqual(out, []);
    assert.equal(code, 0);
    assert.match(err[0] ?? '', /1 call task checked, no problems$/);
  });

  it('reports a document that cannot be loaded and a call configuration error', async () => {
    const request = { task_name: 't', config: { parameters: { call_type: 'openapi', document: { endpoint: `${server.origin}/missing.json` }, operation_id: 'x', validate: 'sometimes' } } };
    const bad = await run('bad.json', JSON.stringify(request));
    assert.deepEqual(bad.out, ['task t: call configuration validation failed: unsupported validate value: "sometimes" (supported: request, response, both, none)']);
    delete (request.config.parameters as Record<string, unknown>)['validate'];
    const missing = await run('missing.json', JSON.stringify(request));
    assert.deepEqual(missing.out, [`task t: cannot load the OpenAPI document ${server.origin}/missing.json: failed to fetch document: HTTP 404`]);
    assert.equal(missing.code, 1);
  });

  it('checks every call task\'s rate_limit and file values; leaves gRPC, AsyncAPI and GraphQL parameters to the run', async () => {
    const doc = `${server.origin}/petstore.json`;
    const workflow = {
      document: { dsl: '1.0.0', namespace: 'test', name: 'mixed', version: '1.0.0' },
      do: [
        { greet: { call: 'grpc', with: { proto: { endpoint: 'file:///tmp/greeter.proto' }, service: { name: 'Greeter', host: 'localhost', port: 50051 }, method: 'SayHello', arguments: { name: 'x' } } } },
        { publish: { call: 'asyncapi', with: { document: { endpoint: `${server.origin}/asyncapi.yaml` }, operation: 'sendOrder', message: { payload: {} } } } },
        { query: { call: 'graphql', with: { endpoint: `${server.origin}/graphql`, query: '{ a }' } } },
        { fastGrpc: { call: 'grpc', with: { proto: { endpoint: 'file:///tmp/greeter.proto' }, service: { name: 'Greeter', host: 'localhost', port: 50051 }, method: 'SayHello', rate_limit: { rate: 'fast' } } } },
        { fastHttp: { call: 'http', with: { method: 'get', endpoint: `${server.origin}/x`, rate_limit: { rate: 'fast' } } } },
        { lateRate: { call: 'http', with: { method: 'get', endpoint: `${server.origin}/x`, rate_limit: { rate: '${ .rate }' } } } },
        { ftpFile: { call: 'http', with: { method: 'post', endpoint: `${server.origin}/upload`, headers: { 'Content-Type': 'multipart/form-data' }, body: { files: [{ name: 'doc', url: 'ftp://x/y' }] } } } },
        { badBase64: { call: 'http', with: { method: 'post', endpoint: `${server.origin}/upload`, headers: { 'Content-Type': 'application/octet-stream' }, body: { base64: '!!!' } } } },
        { lateFile: { call: 'http', with: { method: 'post', endpoint: `${server.origin}/upload`, headers: { 'Content-Type': 'multipart/form-data' }, body: { files: [{ name: 'doc', url: '${ .fileUrl }' }] } } } },
        { petImage: { call: 'openapi', with: { document: { endpoint: doc }, operationId: 'uploadFile', parameters: { petId: 1, body: { additionalMetadata: 'x', file: { base64: '!!!' } } } } } },
      ],
    };
    const seenBefore = server.seen.length;
    const { code, out } = await run('mixed.json', JSON.stringify(workflow));
    assert.deepEqual(out, [
      'task fastGrpc: invalid rate_limit: "fast" is not a rate: expected calls/period such as 10/s, 100/m, 5/10s or 1000/h',
      'task fastHttp: invalid rate_limit: "fast" is not a rate: expected calls/period such as 10/s, 100/m, 5/10s or 1000/h',
      'task ftpFile: invalid request body: file part "doc": "url" must be http(s), not ftp:',
      'task badBase64: invalid request body: the request body: "base64" is not valid base64',
      'task petImage: invalid request body: file part "file": "base64" is not valid base64',
    ]);
    assert.equal(code, 1);
    assert.deepEqual(server.seen.slice(seenBefore).map((s) => s.url), ['/petstore.json'], 'only the OpenAPI document was fetched');
  });

  it('finds call tasks in requests, events and workflows; suggests only close names', () => {
    assert.equal(tasksOf('w.json', JSON.stringify({ do: [{ a: { call: 'openapi', with: { document: 'x' } } }] })).tasks.length, 1);
    const event = { type: 'io.flunq.task.requested', data: JSON.stringify({ task_name: 'n', config: { parameters: { url: 'http://x' } } }) };
    assert.deepEqual(tasksOf('e.json', JSON.stringify(event)).tasks.map((t) => t.name), ['n']);
    assert.equal(closest('updatePetWithForm', ['updatePet', 'addPet']), undefined);
    assert.equal(closest('getpetbyid', ['getPetById']), 'getPetById');
  });

  it('the command line: help, and exit code 2 for usage errors and unreadable files', async () => {
    assert.match(HELP['validate'] ?? '', /^usage: flunq-executor validate <task.json \| workflow.yaml>/);
    assert.match(HELP[''] ?? '', /^ {2}validate <task.json\|wf.yaml> {3}check the OpenAPI calls/m);
    await assert.rejects(validate(path.join(dir, 'nope.yaml'), cfg, { out: () => undefined, err: () => undefined }), (e: Error) => e instanceof InputError && /^cannot read .*nope\.yaml: ENOENT/.test(e.message));
    const cli = spawnSync(process.execPath, ['--require', 'ts-node/register/transpile-only', path.join(ROOT, 'src/cli/flunq-executor.ts'), 'validate'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env['PATH'], HOME: process.env['HOME'] } });
    assert.equal(cli.status, 2);
    assert.equal(cli.stderr, 'flunq-executor: validate needs a task request or workflow file (see: flunq-executor help validate)\n');
  });
});
