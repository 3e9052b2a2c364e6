/**
 * CALL_CREDENTIALS_FILE: the operator's credentials for OpenAPI security schemes are read once at
 * start, in JSON or YAML, secrets given as is, from an environment variable or from a file; every
 * mistake is one clear line naming the entry and the field, and never a secret.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../../src/config/env';
import { effectiveConfig } from '../../../src/config/effective-config';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flunq-credentials-'));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** The problems loadConfig reports for a credentials file. */
function problemsOf(text: string, env: Record<string, string> = {}, name = 'bad.yaml'): string[] {
  try {
    loadConfig({ CALL_CREDENTIALS_FILE: write(name, text), ...env });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected the file to be refused');
}

describe('CALL_CREDENTIALS_FILE', () => {
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is empty when unset', () => {
    assert.deepEqual(loadConfig({}).call.credentials, []);
  });

  it('reads JSON with secrets from the environment and from files, bound to documents, hosts and tenants', () => {
    write('client-secret.txt', 'from-a-file\n');
    const file = write(
      'credentials.json',
      JSON.stringify({
        credentials: [
          { scheme: 'petstore_auth', document: 'https://api.example.com/openapi.json', hosts: ['api.example.com', 'auth.example.com:8443'], tenants: ['acme'], client_id: 'app', client_secret_file: 'client-secret.txt', client_authentication: 'client_secret_basic', audience: 'pets' },
          { scheme: 'api_key', document: 'https://API.example.com/openapi.json', api_key_env: 'PETSTORE_KEY' },
          { scheme: 'bearer', hosts: '127.0.0.1:4010', allow_http: true, token: 'literal-token' },
        ],
      }),
    );
    const { credentials } = loadConfig({ CALL_CREDENTIALS_FILE: file, PETSTORE_KEY: 'from-the-env' }).call;
    assert.deepEqual(credentials, [
      {
        label: 'credentials[0]',
        scheme: 'petstore_auth',
        documents: ['https://api.example.com/openapi.json'],
        hosts: [
          { hostname: 'api.example.com', port: undefined },
          { hostname: 'auth.example.com', port: 8443 },
        ],
        tenants: ['acme'],
        allowHttp: false,
        pin: {},
        value: { kind: 'client', clientId: 'app', clientSecret: 'from-a-file', clientAuth: 'client_secret_basic', audience: 'pets' },
      },
      // Bound to a document only: it may go to that document's host, nowhere else.
      { label: 'credentials[1]', scheme: 'api_key', documents: ['https://api.example.com/openapi.json'], hosts: [{ hostname: 'api.example.com', port: undefined }], tenants: [], allowHttp: false, pin: {}, value: { kind: 'apiKey', apiKey: 'from-the-env' } },
      { label: 'credentials[2]', scheme: 'bearer', documents: [], hosts: [{ hostname: '127.0.0.1', port: 4010 }], tenants: [], allowHttp: true, pin: {}, value: { kind: 'token', token: 'literal-token' } },
    ]);
  });

  it('reads YAML, and the effective configuration never shows the secrets', () => {
    const file = write('credentials.yaml', 'credentials:\n  - scheme: basic_auth\n    hosts: [api.example.com]\n    username: ada\n    password_env: BASIC_PW\n');
    const config = loadConfig({ CALL_CREDENTIALS_FILE: file, BASIC_PW: 'yaml-pa55word' });
    assert.deepEqual(config.call.credentials[0]?.value, { kind: 'basic', username: 'ada', password: 'yaml-pa55word' });
    assert.ok(!JSON.stringify(effectiveConfig(config)).includes('yaml-pa55word'));
  });

  it('reports every mistake on one line, naming the entry and field, never the secret', () => {
    const problems = problemsOf(
      [
        'credentials:',
        '  - scheme: a',
        '    token: never-shown-1',
        '  - scheme: b',
        '    hosts: ["https://api.example.com", "*.example.com"]',
        '    token: never-shown-2',
        '  - scheme: c',
        '    hosts: [api.example.com]',
        '    token_env: NOT_SET_ANYWHERE',
        '  - scheme: d',
        '    hosts: [api.example.com]',
        '    token: never-shown-3',
        '    api_key: never-shown-4',
        '  - scheme: e',
        '    document: ftp://api.example.com/x',
        '    username: ada',
        '  - hosts: [api.example.com]',
        '    tokn: never-shown-5',
        '  - scheme: f',
        '    hosts: [api.example.com]',
        '    client_id: app',
        '    client_secret_file: missing-secret.txt',
        '  - scheme: g',
        '    hosts: [api.example.com]',
        '    token: x',
        '    token_env: Y',
      ].join('\n'),
    );
    const file = path.join(dir, 'bad.yaml');
    assert.deepEqual(problems, [
      `CALL_CREDENTIALS_FILE=${file}: credentials[0] (a): bind it to the documents (\`document\`) and/or the hosts (\`hosts\`) it may be used for; a credential bound to nothing is never sent`,
      `CALL_CREDENTIALS_FILE=${file}: credentials[1] (b): host "https://api.example.com" is not a host name, IP address or host:port (no scheme, path or wildcard)`,
      `CALL_CREDENTIALS_FILE=${file}: credentials[1] (b): host "*.example.com" is not a host name, IP address or host:port (no scheme, path or wildcard)`,
      `CALL_CREDENTIALS_FILE=${file}: credentials[2] (c): \`token_env\`: the environment variable NOT_SET_ANYWHERE is not set`,
      `CALL_CREDENTIALS_FILE=${file}: credentials[3] (d): one kind of secret per entry, not token and api_key`,
      `CALL_CREDENTIALS_FILE=${file}: credentials[4] (e): document "ftp://api.example.com/x" is not an absolute http(s) URL`,
      `CALL_CREDENTIALS_FILE=${file}: credentials[4] (e): \`username\` and \`password\` go together`,
      `CALL_CREDENTIALS_FILE=${file}: credentials[5]: unknown field \`tokn\``,
      `CALL_CREDENTIALS_FILE=${file}: credentials[5]: \`scheme\` (the name of the document's security scheme) is required`,
      `CALL_CREDENTIALS_FILE=${file}: credentials[5]: no secret: give \`token\`, \`username\` and \`password\`, \`api_key\`, or \`client_id\` and \`client_secret\` (each also as \`_env\` or \`_file\`)`,
      `CALL_CREDENTIALS_FILE=${file}: credentials[6] (f): \`client_secret_file\`: ${path.join(dir, 'missing-secret.txt')} cannot be read (ENOENT)`,
      `CALL_CREDENTIALS_FILE=${file}: credentials[7] (g): give one of \`token\`, \`token_env\``,
    ]);
    assert.ok(!problems.join('\n').includes('never-shown'));
  });

  it('a credential bound to hosts only is pinned: an API key to its place and name, an OAuth2 client to its token URL', () => {
    const file = write(
      'pinned.yaml',
      [
        'credentials:',
        '  - {scheme: key, hosts: [api.example.com], api_key: k, in: header, name: X-API-Key}',
        '  - {scheme: client, hosts: [api.example.com], client_id: c, client_secret: s, token_url: "https://api.example.com/oauth/token"}',
      ].join('\n'),
    );
    assert.deepEqual(
      loadConfig({ CALL_CREDENTIALS_FILE: file }).call.credentials.map((c) => c.pin),
      [{ in: 'header', name: 'X-API-Key' }, { tokenUrl: 'https://api.example.com/oauth/token' }],
    );
    const problems = problemsOf(
      [
        'credentials:',
        '  - {scheme: key, hosts: [api.example.com], api_key: never-shown-1}',
        '  - {scheme: client, hosts: [api.example.com], client_id: c, client_secret: never-shown-2}',
        '  - {scheme: bearer, hosts: [api.example.com], token: never-shown-3, in: header, token_url: "https://x"}',
        '  - {scheme: key2, hosts: [api.example.com], api_key: never-shown-4, in: body, name: ""}',
      ].join('\n'),
      {},
      'pins.yaml',
    );
    const file2 = path.join(dir, 'pins.yaml');
    assert.deepEqual(problems, [
      `CALL_CREDENTIALS_FILE=${file2}: credentials[0] (key): an API key bound to hosts only needs \`in\` and \`name\` (where any document may send it), or bind it to its \`document\``,
      `CALL_CREDENTIALS_FILE=${file2}: credentials[1] (client): an OAuth2 client bound to hosts only needs its \`token_url\` (any document could name another path of the host), or bind it to its \`document\``,
      `CALL_CREDENTIALS_FILE=${file2}: credentials[2] (bearer): \`in\` and \`name\` belong to API keys`,
      `CALL_CREDENTIALS_FILE=${file2}: credentials[2] (bearer): \`token_url\` belongs to OAuth2 clients`,
      `CALL_CREDENTIALS_FILE=${file2}: credentials[3] (key2): \`in\` must be header, query or cookie`,
      `CALL_CREDENTIALS_FILE=${file2}: credentials[3] (key2): \`name\` must be the name of the header, query parameter or cookie`,
    ]);
    assert.ok(!problems.join('\n').includes('never-shown'));
  });

  it('refuses a file it cannot read or parse, or of another shape', () => {
    assert.throws(() => loadConfig({ CALL_CREDENTIALS_FILE: path.join(dir, 'nope.json') }), /CALL_CREDENTIALS_FILE=.*nope\.json: cannot be read \(ENOENT\)/);
    assert.match(problemsOf('{"credentials": [', {}, 'broken.json')[0] ?? '', /broken\.json: not valid JSON or YAML: /);
    assert.match(problemsOf('[]')[0] ?? '', /expected an object with a `credentials` list$/);
    assert.match(problemsOf('credentials: []\nsecrets: {}\n')[0] ?? '', /unknown key secrets \(expected only `credentials`\)$/);
  });
});
