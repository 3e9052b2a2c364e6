import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { CredentialPin, CredentialValue, documentKey, HostBinding, hostBindingOf, OperatorCredential, parseHostBinding } from '../application/handlers/call/operator-credentials';

/**
 * CALL_CREDENTIALS_FILE: the operator's credentials for the security schemes of OpenAPI documents,
 * in JSON or YAML (docs/call-security.md). Read once at start; every problem is reported, one line
 * each, naming the entry and the field, never a secret.
 */

/** Larger files are refused: a credentials file is a few entries. */
const MAX_FILE_BYTES = 1024 * 1024;

/** Fields that hold a secret (or an id that goes with one): each given as is, `<field>_env` or `<field>_file`. */
const SECRET_FIELDS = ['token', 'username', 'password', 'api_key', 'client_id', 'client_secret'] as const;
type SecretField = (typeof SECRET_FIELDS)[number];

const OTHER_FIELDS = ['scheme', 'document', 'documents', 'hosts', 'tenants', 'allow_http', 'client_authentication', 'audience', 'in', 'name', 'token_url', 'description'];
const KNOWN_FIELDS = new Set([...OTHER_FIELDS, ...SECRET_FIELDS.flatMap((f) => [f, `${f}_env`, `${f}_file`])]);

/** Environment variables as loadConfig reads them. */
type Env = Readonly<Record<string, string | undefined>>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string or a list of strings, as a list; undefined when it is neither. */
function strings(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  return undefined;
}

/**
 * Reads and checks the file; returns the credentials, or adds one line per problem to `problems`
 * (prefixed with the variable and the file) and returns none.
 */
export function loadCredentialsFile(file: string, env: Env, problems: string[]): OperatorCredential[] {
  const say = (text: string): void => {
    problems.push(`CALL_CREDENTIALS_FILE=${file}: ${text}`);
  };
  let text: string;
  try {
    if (statSync(file).size > MAX_FILE_BYTES) {
      say(`larger than ${MAX_FILE_BYTES} bytes`);
      return [];
    }
    text = readFileSync(file, 'utf8');
  } catch (error) {
    say(`cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    return [];
  }
  let parsed: unknown;
  try {
    parsed = yaml.load(text, { filename: file, schema: yaml.CORE_SCHEMA });
  } catch (error) {
    say(`not valid JSON or YAML: ${((error as Error).message.split('\n')[0] ?? '').trim()}`);
    return [];
  }
  if (!isObject(parsed) || !Array.isArray(parsed['credentials'])) {
    say('expected an object with a `credentials` list');
    return [];
  }
  const extra = Object.keys(parsed).filter((k) => k !== 'credentials');
  if (extra.length > 0) say(`unknown key${extra.length > 1 ? 's' : ''} ${extra.join(', ')} (expected only \`credentials\`)`);
  const before = problems.length;
  const credentials: OperatorCredential[] = [];
  parsed['credentials'].forEach((entry: unknown, index: number) => {
    const credential = credentialOf(entry, `credentials[${index}]`, path.dirname(path.resolve(file)), env, say);
    if (credential) credentials.push(credential);
  });
  return problems.length > before ? [] : credentials;
}

function credentialOf(entry: unknown, label: string, directory: string, env: Env, say: (text: string) => void): OperatorCredential | undefined {
  if (!isObject(entry)) {
    say(`${label}: expected an object`);
    return undefined;
  }
  let ok = true;
  const fail = (text: string): undefined => {
    say(`${label}: ${text}`);
    ok = false;
    return undefined;
  };
  for (const key of Object.keys(entry)) if (!KNOWN_FIELDS.has(key)) fail(`unknown field \`${key}\``);
  const scheme = entry['scheme'];
  if (typeof scheme !== 'string' || scheme.trim() === '') fail('`scheme` (the name of the document\'s security scheme) is required');
  const name = typeof scheme === 'string' ? scheme.trim() : '';
  const where = name ? `${label} (${name})` : label;
  const failHere = (text: string): undefined => {
    say(`${where}: ${text}`);
    ok = false;
    return undefined;
  };

  const documents: string[] = [];
  const documentList = strings(entry['documents']);
  const single = entry['document'];
  if (documentList === undefined) failHere('`documents` must be a list of URLs');
  if (single !== undefined && typeof single !== 'string') failHere('`document` must be a URL');
  for (const url of [...(typeof single === 'string' ? [single] : []), ...(documentList ?? [])]) {
    const key = documentKey(url.trim());
    if (key === undefined || !/^https?:$/.test(new URL(key).protocol)) failHere(`document ${JSON.stringify(url)} is not an absolute http(s) URL`);
    else documents.push(key);
  }
  const hosts: HostBinding[] = [];
  const hostList = strings(entry['hosts']);
  if (hostList === undefined) failHere('`hosts` must be a list of host names (host or host:port)');
  for (const host of hostList ?? []) {
    const binding = parseHostBinding(host);
    if (!binding) failHere(`host ${JSON.stringify(host)} is not a host name, IP address or host:port (no scheme, path or wildcard)`);
    else hosts.push(binding);
  }
  const documentsGiven = single !== undefined || (documentList ?? []).length > 0;
  if (!documentsGiven && (hostList ?? []).length === 0) {
    failHere('bind it to the documents (`document`) and/or the hosts (`hosts`) it may be used for; a credential bound to nothing is never sent');
  }
  // Bound to documents only: it may go to the documents' own hosts, nowhere else.
  if ((hostList ?? []).length === 0) for (const url of documents) hosts.push(hostBindingOf(new URL(url)));
  const tenants = strings(entry['tenants']);
  if (tenants === undefined || tenants.some((t) => t.trim() === '')) failHere('`tenants` must be a list of tenant names');
  const allowHttp = entry['allow_http'] ?? false;
  if (typeof allowHttp !== 'boolean') failHere('`allow_http` must be true or false');

  const values: Partial<Record<SecretField, string>> = {};
  for (const field of SECRET_FIELDS) {
    const value = secretValue(entry, field, directory, env, failHere);
    if (value !== undefined) values[field] = value;
  }
  const value = valueOf(entry, values, failHere);
  const pin = pinOf(entry, value, documentsGiven, failHere);
  if (!ok || value === undefined) return undefined;
  return { label, scheme: name, documents, hosts: dedupe(hosts), tenants: (tenants ?? []).map((t) => t.trim()), allowHttp: allowHttp === true, pin, value };
}

/**
 * How the document must send the secret. A credential bound to hosts only may be named by anyone's
 * document, which could otherwise send an API key as a query parameter of an endpoint that stores
 * it, or the client secret to any path of the host: for those, the place and name of an API key and
 * the token URL of an OAuth2 client are required.
 */
function pinOf(entry: Record<string, unknown>, value: CredentialValue | undefined, documentsGiven: boolean, fail: (text: string) => undefined): CredentialPin {
  const pin: CredentialPin = {};
  const place = entry['in'];
  const name = entry['name'];
  const tokenUrl = entry['token_url'];
  if (value !== undefined && value.kind !== 'apiKey' && (place !== undefined || name !== undefined)) fail('`in` and `name` belong to API keys');
  if (value !== undefined && value.kind !== 'client' && tokenUrl !== undefined) fail('`token_url` belongs to OAuth2 clients');
  if (place !== undefined) {
    if (place !== 'header' && place !== 'query' && place !== 'cookie') fail('`in` must be header, query or cookie');
    else pin.in = place;
  }
  if (name !== undefined) {
    if (typeof name !== 'string' || name.trim() === '') fail('`name` must be the name of the header, query parameter or cookie');
    else pin.name = name.trim();
  }
  if (tokenUrl !== undefined) {
    const key = typeof tokenUrl === 'string' ? documentKey(tokenUrl.trim()) : undefined;
    if (key === undefined || !/^https?:$/.test(new URL(key).protocol)) fail('`token_url` must be an absolute http(s) URL');
    else pin.tokenUrl = key;
  }
  if (!documentsGiven && value?.kind === 'apiKey' && (place === undefined || name === undefined)) {
    fail('an API key bound to hosts only needs `in` and `name` (where any document may send it), or bind it to its `document`');
  }
  if (!documentsGiven && value?.kind === 'client' && tokenUrl === undefined) {
    fail('an OAuth2 client bound to hosts only needs its `token_url` (any document could name another path of the host), or bind it to its `document`');
  }
  return pin;
}

function dedupe(hosts: HostBinding[]): HostBinding[] {
  const seen = new Map<string, HostBinding>();
  for (const h of hosts) seen.set(`${h.hostname}:${h.port ?? ''}`, h);
  return [...seen.values()];
}

/** `<field>`, `<field>_env` or `<field>_file`, at most one of them; undefined when none is given. */
function secretValue(entry: Record<string, unknown>, field: SecretField, directory: string, env: Env, fail: (text: string) => undefined): string | undefined {
  const given = [field, `${field}_env`, `${field}_file`].filter((k) => entry[k] !== undefined);
  if (given.length === 0) return undefined;
  if (given.length > 1) return fail(`give one of ${given.map((k) => `\`${k}\``).join(', ')}`);
  const key = given[0] as string;
  const raw = entry[key];
  if (typeof raw !== 'string' || raw.trim() === '') return fail(`\`${key}\` must be a non-empty string`);
  if (key === field) return raw;
  if (key.endsWith('_env')) {
    const value = env[raw.trim()];
    if (value === undefined || value === '') return fail(`\`${key}\`: the environment variable ${raw.trim()} is not set`);
    return value;
  }
  const file = path.resolve(directory, raw.trim());
  try {
    if (statSync(file).size > MAX_FILE_BYTES) return fail(`\`${key}\`: ${file} is larger than ${MAX_FILE_BYTES} bytes`);
    // A trailing newline is how editors and `echo` end a file; it is never part of a secret.
    const value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    if (value === '') return fail(`\`${key}\`: ${file} is empty`);
    return value;
  } catch (error) {
    return fail(`\`${key}\`: ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** The kind of secret the fields make: exactly one of a token, a user and password, an API key, an OAuth2 client. */
function valueOf(entry: Record<string, unknown>, values: Partial<Record<SecretField, string>>, fail: (text: string) => undefined): CredentialValue | undefined {
  const has = (field: SecretField): boolean => [field, `${field}_env`, `${field}_file`].some((k) => entry[k] !== undefined);
  const kinds = [has('token') && 'token', (has('username') || has('password')) && 'username/password', has('api_key') && 'api_key', (has('client_id') || has('client_secret')) && 'client_id/client_secret'].filter(
    (k): k is string => typeof k === 'string',
  );
  if (kinds.length === 0) return fail('no secret: give `token`, `username` and `password`, `api_key`, or `client_id` and `client_secret` (each also as `_env` or `_file`)');
  if (kinds.length > 1) return fail(`one kind of secret per entry, not ${kinds.join(' and ')}`);
  const clientAuth = entry['client_authentication'] ?? 'client_secret_post';
  const audience = entry['audience'];
  if (kinds[0] !== 'client_id/client_secret' && (entry['client_authentication'] !== undefined || audience !== undefined)) fail('`client_authentication` and `audience` belong to OAuth2 clients');
  switch (kinds[0]) {
    case 'token':
      return values.token === undefined ? undefined : { kind: 'token', token: values.token };
    case 'username/password':
      if (!has('username') || !has('password')) return fail('`username` and `password` go together');
      return values.username === undefined || values.password === undefined ? undefined : { kind: 'basic', username: values.username, password: values.password };
    case 'api_key':
      return values.api_key === undefined ? undefined : { kind: 'apiKey', apiKey: values.api_key };
    default:
      if (!has('client_id') || !has('client_secret')) return fail('`client_id` and `client_secret` go together');
      if (clientAuth !== 'client_secret_post' && clientAuth !== 'client_secret_basic') return fail('`client_authentication` must be client_secret_post or client_secret_basic');
      if (audience !== undefined && typeof audience !== 'string') return fail('`audience` must be a string');
      if (values.client_id === undefined || values.client_secret === undefined) return undefined;
      return { kind: 'client', clientId: values.client_id, clientSecret: values.client_secret, clientAuth, audience };
  }
}
