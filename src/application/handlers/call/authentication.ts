import { isPlainObject, JsonObject } from '../../../domain/json';
import { redactUrl } from '../../../domain/redaction';
import { WorkflowError } from '../../../domain/workflow-error';
import { Clock } from '../../ports/clock.port';
import { HttpClient, HttpRequest, HttpResponse } from '../../ports/http-client.port';
import { base64Text, bodyText, setHeader, USER_AGENT } from './http-message';

export type ApiKeyLocation = 'header' | 'query' | 'cookie';

export type Authentication =
  | { kind: 'bearer'; token: string }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'apikey'; key: string; value: string; location: ApiKeyLocation }
  | {
      kind: 'oauth2';
      tokenUrl: string;
      clientId: string;
      clientSecret: string;
      scopes: string[];
      audience: string | undefined;
      clientAuth: 'client_secret_post' | 'client_secret_basic';
    };

/** What must never leave the process: header/parameter names and literal values. */
export interface Secrets {
  names: string[];
  values: string[];
}

function authError(detail: string): WorkflowError {
  return new WorkflowError({ kind: 'configuration', code: 'AUTHENTICATION_FAILED', title: 'Invalid Authentication', detail });
}

/** A scalar as text; anything else is empty (credentials and scopes are never objects). */
export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

/** OAuth2 scopes as a list, from an array or a space- or comma-separated string. */
export function scopesOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(text).filter((s) => s !== '');
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((s) => s !== '');
  return [];
}

function joinUrl(base: string, path: string): string {
  if (/^https?:\/\//i.test(path)) return path;
  return base.replace(/\/+$/, '') + '/' + path.replace(/^\/+/, '');
}

function oauth2(config: JsonObject): Authentication {
  const client = isPlainObject(config['client']) ? config['client'] : {};
  const endpoints = isPlainObject(config['endpoints']) ? config['endpoints'] : {};
  const authority = text(config['authority']);
  const explicit = text(config['token_url'] ?? config['tokenUrl'] ?? config['token_endpoint']);
  const tokenUrl = explicit || (authority ? joinUrl(authority, text(endpoints['token']) || '/oauth2/token') : '');
  const clientId = text(config['client_id'] ?? config['clientId'] ?? client['id']);
  const clientSecret = text(config['client_secret'] ?? config['clientSecret'] ?? client['secret']);
  const grant = text(config['grant'] ?? config['grant_type']) || 'client_credentials';
  if (grant !== 'client_credentials') throw authError(`unsupported OAuth2 grant: ${grant} (supported: client_credentials)`);
  if (!tokenUrl || !clientId || !clientSecret) throw authError('token URL, client id and client secret are required for OAuth2 authentication');
  const method = text(client['authentication'] ?? config['client_authentication']) || 'client_secret_post';
  if (method !== 'client_secret_post' && method !== 'client_secret_basic') {
    throw authError(`unsupported OAuth2 client authentication: ${method} (supported: client_secret_post, client_secret_basic)`);
  }
  const audience = text(config['audience'] ?? (Array.isArray(config['audiences']) ? (config['audiences'] as unknown[])[0] : undefined));
  return { kind: 'oauth2', tokenUrl, clientId, clientSecret, scopes: scopesOf(config['scopes'] ?? config['scope']), audience: audience || undefined, clientAuth: method };
}

/**
 * flunq's `{type, config}` shape and the SDL 1.0 shape (`{bearer: {token}}`, `{basic: {…}}`,
 * `{apikey: {…}}`, `{oauth2: {…}}`). Go's error texts are kept.
 */
export function parseAuthentication(raw: unknown): Authentication | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isPlainObject(raw)) throw authError('invalid call configuration: authentication must be an object');
  if (typeof raw['use'] === 'string') {
    throw authError(`authentication.use names a security scheme of an OpenAPI document ('${raw['use']}'): only OpenAPI calls can use one; give the authentication itself (bearer, basic, apikey, oauth2)`);
  }
  let type: string;
  let config: JsonObject;
  if (typeof raw['type'] === 'string') {
    type = raw['type'].toLowerCase();
    config = isPlainObject(raw['config']) ? raw['config'] : raw;
  } else {
    const key = ['bearer', 'basic', 'apikey', 'apiKey', 'oauth2', 'oidc'].find((k) => raw[k] !== undefined);
    if (key === undefined) {
      const named = Object.keys(raw)[0];
      throw authError(`unsupported authentication type: ${named ?? ''}`);
    }
    type = key.toLowerCase();
    config = isPlainObject(raw[key]) ? raw[key] : {};
  }
  switch (type) {
    case 'bearer': {
      const token = text(config['token']);
      if (!token) throw authError('bearer token is required for bearer authentication');
      return { kind: 'bearer', token };
    }
    case 'basic': {
      const username = text(config['username']);
      const password = text(config['password']);
      if (!username || !password) throw authError('username and password are required for basic authentication');
      return { kind: 'basic', username, password };
    }
    case 'apikey':
    case 'api_key': {
      const key = text(config['key'] ?? config['name']);
      const value = text(config['value']);
      if (!key || !value) throw authError('key and value are required for API key authentication');
      const location = (text(config['in']) || 'header').toLowerCase();
      if (location !== 'header' && location !== 'query' && location !== 'cookie') throw authError(`unsupported API key location: ${location}`);
      return { kind: 'apikey', key, value, location };
    }
    case 'oauth2':
    case 'oidc':
      return oauth2(config);
    default:
      throw authError(`unsupported authentication type: ${type}`);
  }
}

/** The `Authorization: Basic …` credentials of an OAuth2 client (RFC 6749 §2.3.1: form-encoded, then base64). */
function clientBasicCredentials(clientId: string, clientSecret: string): string {
  return base64Text(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`);
}

/**
 * Names and values to redact for an authentication, known before any token is fetched. Each
 * value is redacted in every encoded form it may take (percent-encoded in a query, escaped in
 * JSON); derived forms that encoding cannot predict (base64 credentials) are listed here.
 */
export function secretsOf(auth: Authentication | undefined): Secrets {
  if (!auth) return { names: [], values: [] };
  switch (auth.kind) {
    case 'bearer':
      return { names: [], values: [auth.token] };
    case 'basic':
      return { names: [], values: [auth.password, base64Text(`${auth.username}:${auth.password}`)] };
    case 'apikey':
      return { names: [auth.key], values: [auth.value] };
    case 'oauth2':
      return { names: [], values: auth.clientAuth === 'client_secret_basic' ? [auth.clientSecret, clientBasicCredentials(auth.clientId, auth.clientSecret)] : [auth.clientSecret] };
  }
}

interface CachedToken {
  token: string;
  expiresAtMs: number;
}

/**
 * OAuth2 client-credentials tokens, fetched through the HttpClient port and reused until
 * shortly before they expire (Clock). Concurrent requests for the same token share one fetch.
 */
export class OAuth2TokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly loading = new Map<string, Promise<CachedToken>>();

  constructor(
    private readonly http: HttpClient,
    private readonly clock: Clock,
  ) {}

  /** `send` sends the token request (the call handler's, which writes its audit line); default: the HttpClient. */
  async token(auth: Extract<Authentication, { kind: 'oauth2' }>, timeoutMs: number, signal?: AbortSignal, send?: TokenSender): Promise<string> {
    // The secret is part of the key: a task that knows a client id (and token URL) but not its
    // secret must never be handed the token fetched with the secret (an operator's credential).
    const key = [auth.tokenUrl, auth.clientId, auth.clientSecret, auth.clientAuth, auth.scopes.join(' '), auth.audience ?? ''].join('\n');
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAtMs > this.clock.now()) return cached.token;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.fetch(auth, timeoutMs, signal, send).finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    const fresh = await pending;
    if (fresh.expiresAtMs > this.clock.now()) this.tokens.set(key, fresh);
    return fresh.token;
  }

  private async fetch(auth: Extract<Authentication, { kind: 'oauth2' }>, timeoutMs: number, signal?: AbortSignal, send: TokenSender = (request) => this.http.send(request)): Promise<CachedToken> {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (auth.scopes.length > 0) form.set('scope', auth.scopes.join(' '));
    if (auth.audience) form.set('audience', auth.audience);
    const headers: Record<string, string> = {
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
      'User-Agent': USER_AGENT,
    };
    if (auth.clientAuth === 'client_secret_basic') {
      headers['Authorization'] = `Basic ${clientBasicCredentials(auth.clientId, auth.clientSecret)}`;
    } else {
      form.set('client_id', auth.clientId);
      form.set('client_secret', auth.clientSecret);
    }
    const response = await send({ method: 'POST', url: auth.tokenUrl, headers, body: form.toString(), timeoutMs, followRedirects: false, signal });
    const failure = (detail: string): WorkflowError =>
      new WorkflowError({ kind: 'authentication', code: 'AUTHENTICATION_FAILED', title: 'Authentication Failed', detail, status: 401, data: { token_url: redactUrl(auth.tokenUrl) } });
    if (response.status < 200 || response.status > 299) throw failure(`OAuth2 token request failed with status ${response.status}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(bodyText(response));
    } catch {
      throw failure('OAuth2 token response is not JSON');
    }
    if (!isPlainObject(parsed) || typeof parsed['access_token'] !== 'string' || parsed['access_token'] === '') {
      throw failure('OAuth2 token response has no access_token');
    }
    const expiresIn = typeof parsed['expires_in'] === 'number' ? parsed['expires_in'] : Number(parsed['expires_in']);
    // Renew a little early; without expires_in the token is used for this call only.
    const lifetimeMs = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 - Math.min(30_000, expiresIn * 100) : 0;
    return { token: parsed['access_token'], expiresAtMs: this.clock.now() + lifetimeMs };
  }
}

/** Sends an OAuth2 token request. */
export type TokenSender = (request: HttpRequest) => Promise<HttpResponse>;

export interface AuthTarget {
  url: string;
  headers: Record<string, string>;
}

/** Applies an authentication to a request; returns the secrets it added (the token included). */
export async function applyAuthentication(
  auth: Authentication | undefined,
  target: AuthTarget,
  tokens: OAuth2TokenCache,
  timeoutMs: number,
  signal?: AbortSignal,
  send?: TokenSender,
): Promise<Secrets> {
  const secrets = secretsOf(auth);
  if (!auth) return secrets;
  switch (auth.kind) {
    case 'bearer':
      setHeader(target.headers, 'Authorization', `Bearer ${auth.token}`);
      break;
    case 'basic':
      setHeader(target.headers, 'Authorization', `Basic ${base64Text(`${auth.username}:${auth.password}`)}`);
      break;
    case 'apikey':
      if (auth.location === 'header') setHeader(target.headers, auth.key, auth.value);
      else if (auth.location === 'query') {
        const url = new URL(target.url);
        url.searchParams.append(auth.key, auth.value);
        target.url = url.toString();
      } else {
        const existing = Object.entries(target.headers).find(([k]) => k.toLowerCase() === 'cookie')?.[1];
        const pair = `${encodeURIComponent(auth.key)}=${encodeURIComponent(auth.value)}`;
        setHeader(target.headers, 'Cookie', existing ? `${existing}; ${pair}` : pair);
      }
      break;
    case 'oauth2': {
      const token = await tokens.token(auth, timeoutMs, signal, send);
      secrets.values.push(token);
      setHeader(target.headers, 'Authorization', `Bearer ${token}`);
      break;
    }
  }
  return secrets;
}
