/**
 * The examples of docs/call-security.md, run: each `<!-- example: name -->` block is taken from the
 * document; the Petstore address of the task examples is pointed at a local server serving the
 * published Petstore (@readme/oas-examples), and the stated results compared with what the
 * executor does.
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
const BASE_ENV = { EVENT_STREAM_TYPE: 'memory', EXECUTOR_SUBMIT_API: 'false', LOG_LEVEL: 'error', HOSTNAME: 'test' };

/** The fenced block after each `<!-- example: name -->` marker. */
function examples(): Map<string, string> {
  const text = fs.readFileSync(path.join(ROOT, 'docs/call-security.md'), 'utf8');
  const out = new Map<string, string>();
  for (const m of text.matchAll(/<!-- example: (\S+) -->\n```[a-z]*\n([\s\S]*?)\n```/g)) out.set(m[1] ?? '', m[2] ?? '');
  return out;
}

describe('docs/call-security.md examples', () => {
  let server: LocalServer;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flunq-security-docs-'));
  const blocks = examples();
  const example = (name: string): string => {
    const block = blocks.get(name);
    assert.ok(block !== undefined, `example ${name} is in the document`);
    return block.split(DOC_ORIGIN).join(server.origin);
  };
  const write = (name: string, text: string): string => {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  };

  before(async () => {
    server = new LocalServer((req, res) => {
      if (req.url === '/openapi.json') {
        const text = fs.readFileSync(path.join(EXAMPLES, '3.0/json/petstore.json'), 'utf8');
        return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(text.split('http://petstore.swagger.io').join(server.origin));
      }
      json(res, 200, { id: 7, name: 'doggie' });
    });
    await server.start();
  });
  after(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('credentials.yaml is a valid credentials file, bound as the page says', () => {
    write('secrets/orders-client-secret', 'orders-secret\n');
    write('secrets/partner-key', 'partner-key\n');
    const file = write('credentials.yaml', example('credentials.yaml'));
    const { credentials } = loadConfig({ ...BASE_ENV, CALL_CREDENTIALS_FILE: file, PETSTORE_API_KEY: 'pet-key', INTERNAL_API_TOKEN: 'internal-token' }).call;
    assert.deepEqual(
      credentials.map((c) => ({ scheme: c.scheme, documents: c.documents, hosts: c.hosts.map((h) => (h.port === undefined ? h.hostname : `${h.hostname}:${h.port}`)), tenants: c.tenants, kind: c.value.kind })),
      [
        { scheme: 'api_key', documents: ['https://petstore.example.com/openapi.json'], hosts: ['petstore.example.com'], tenants: [], kind: 'apiKey' },
        { scheme: 'client_auth', documents: ['https://docs.example.com/orders/openapi.yaml'], hosts: ['orders.example.com', 'login.example.com'], tenants: ['acme'], kind: 'client' },
        { scheme: 'bearerAuth', documents: [], hosts: ['internal-api.example.com:8443'], tenants: [], kind: 'token' },
        { scheme: 'partner_key', documents: [], hosts: ['partner.example.com'], tenants: [], kind: 'apiKey' },
      ],
    );
    assert.deepEqual(credentials[3]?.pin, { in: 'header', name: 'X-Partner-Key' });
    assert.deepEqual(credentials[1]?.value, { kind: 'client', clientId: 'orders-client', clientSecret: 'orders-secret', clientAuth: 'client_secret_basic', audience: undefined });
  });

  it('startup.err is what a start with the broken file prints', () => {
    const etc = path.join(dir, 'etc-flunq');
    write('etc-flunq/secrets/partner-key', 'partner-key\n');
    const file = write('etc-flunq/credentials.yaml', example('credentials.yaml').replace("'internal-api.example.com:8443'", "'*.example.com'"));
    assert.throws(
      () => loadConfig({ ...BASE_ENV, CALL_CREDENTIALS_FILE: file, PETSTORE_API_KEY: 'pet-key', INTERNAL_API_TOKEN: 'internal-token' }),
      (e: Error) => {
        assert.equal(e.message, example('startup.err').split('/etc/flunq').join(etc));
        return true;
      },
    );
  });

  it('validate get-pet.json prints the line shown without credentials, nothing with local-credentials.yaml, and run sends the key', async () => {
    const task = write('get-pet.json', example('get-pet.json'));
    const out: string[] = [];
    const code = await validate(task, loadConfig(BASE_ENV), { out: (t) => out.push(t), err: () => undefined });
    assert.deepEqual(out, example('get-pet.out').split('\n'));
    assert.equal(code, 1);

    const env = { CALL_CREDENTIALS_FILE: write('local-credentials.yaml', example('local-credentials.yaml')), PETSTORE_API_KEY: 'pet-key-from-env' };
    const clean: string[] = [];
    assert.equal(await validate(task, loadConfig({ ...BASE_ENV, ...env }), { out: (t) => clean.push(t), err: () => undefined }), 0);
    assert.deepEqual(clean, []);

    const executor = new Executor(env);
    await executor.start();
    try {
      const request = JSON.parse(example('get-pet.json')) as { task_name: string; config: { parameters: JsonObject } };
      const completion = await executor.run(request.task_name, request.config.parameters);
      assert.equal(completion.success, true, completion.error);
      assert.equal(server.seen.find((s) => s.url === '/v2/pet/7')?.headers['api_key'], 'pet-key-from-env');
    } finally {
      await executor.stop();
    }
  });
});
