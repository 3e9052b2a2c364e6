import { isPlainObject, JsonObject } from '../../../domain/json';
import { redactUrl } from '../../../domain/redaction';
import { ErrorCode, WorkflowError } from '../../../domain/workflow-error';
import { OperationSecurity, SecurityRequirement, SecurityScheme } from '../../ports/openapi-document-source.port';
import { Authentication, scopesOf, text } from './authentication';
import { candidatesFor, CredentialValue, OperatorCredential, pinRefusal, refusal } from './operator-credentials';

/**
 * Authentication taken from the OpenAPI document: a task naming one of its `securitySchemes`
 * (`authentication: {use: <scheme>}`, the secret in the task or configured by the operator), or
 * a task with no authentication getting the operation's security requirement applied from the
 * operator's credentials. The document says how a secret is sent (which header, query parameter
 * or cookie, which token URL and scopes); the secret itself never comes from it.
 */

/** A task's `authentication: {use: <scheme>, …}`: the scheme, and what the task gives itself (the secret, scopes). */
export interface SchemeUse {
  scheme: string;
  /** Values the task gives, flattened out of the SDL shapes (`{basic: {…}}`, `{oauth2: {client: {…}}}`); the SDL type key kept as `type`. */
  given: JsonObject;
}

/**
 * When a call without authentication gets its operation's requirement applied: `auto` once the
 * operator has configured credentials, `enforce` always (no credential: a configuration error),
 * `off` never.
 */
export type SecurityRequirementsMode = 'auto' | 'enforce' | 'off';

/** What the resolution needs to know of the call. */
export interface SecurityTarget {
  tenant: string;
  documentUrl: string;
  operationId: string;
  /** Where the request goes (the operation's server and path). */
  url: string;
  security: OperationSecurity;
}

const SDL_TYPES = ['bearer', 'basic', 'apikey', 'apiKey', 'oauth2', 'oidc'];

function securityError(code: ErrorCode, title: string, detail: string, scheme: string, operationId: string): WorkflowError {
  return new WorkflowError({ kind: 'configuration', code, title, detail, data: { task_type: 'call', security_scheme: scheme, operation_id: operationId } });
}

/** A scheme by name: own entries only (a document may name a scheme `constructor` or `__proto__`). */
function schemeNamed(schemes: Record<string, SecurityScheme>, name: string): SecurityScheme | undefined {
  return Object.prototype.hasOwnProperty.call(schemes, name) ? schemes[name] : undefined;
}

/** `{use: "petstore_auth", …}` as a SchemeUse; undefined for any other authentication. */
export function schemeUseOf(raw: unknown): SchemeUse | undefined {
  if (!isPlainObject(raw) || typeof raw['use'] !== 'string') return undefined;
  const { use, ...rest } = raw;
  // Defined, not assigned: a task's `__proto__` key stays data.
  const given: JsonObject = {};
  const put = (key: string, value: unknown): void => {
    Object.defineProperty(given, key, { value, enumerable: true, writable: true, configurable: true });
  };
  for (const [key, value] of Object.entries(rest)) {
    if (SDL_TYPES.includes(key) && isPlainObject(value)) {
      put('type', key.toLowerCase());
      for (const [inner, v] of Object.entries(value)) put(inner, v);
    } else put(key, value);
  }
  if (isPlainObject(given['client'])) {
    given['client_id'] ??= given['client']['id'];
    given['client_secret'] ??= given['client']['secret'];
    given['client_authentication'] ??= given['client']['authentication'];
  }
  return { scheme: use.trim(), given };
}

/** The scheme in words, for messages: `http bearer`, `apiKey in header "api_key"`, `oauth2 (implicit)`. */
export function describeScheme(scheme: SecurityScheme): string {
  if (scheme.type === 'http') return `http ${scheme.scheme ?? '(no scheme)'}`;
  if (scheme.type === 'apiKey') return `apiKey in ${scheme.in ?? '(nowhere)'} "${scheme.name ?? ''}"`;
  if (scheme.type === 'oauth2') return `oauth2 (${(scheme.flows ?? []).join(', ') || 'no flows'})`;
  return scheme.type === '' ? 'a scheme without a type' : scheme.type;
}

/** What a supported scheme needs: the kind of secret, and where it goes. */
type Mapping =
  | { kind: 'token' }
  | { kind: 'basic' }
  | { kind: 'apiKey'; name: string; location: 'header' | 'query' | 'cookie' }
  | { kind: 'client'; tokenUrl: string };

const SECRET_WORDS: Record<Mapping['kind'], string> = {
  token: 'a bearer token',
  basic: 'a user name and password',
  apiKey: 'an API key',
  client: 'an OAuth2 client id and secret',
};

/** How the scheme is applied, or why it cannot be. */
function mappingOf(name: string, scheme: SecurityScheme, operationId: string): Mapping {
  const unsupported = (why: string): WorkflowError =>
    securityError('SECURITY_SCHEME_UNSUPPORTED', 'Unsupported Security Scheme', `security scheme '${name}' is ${describeScheme(scheme)}: ${why}`, name, operationId);
  switch (scheme.type) {
    case 'http':
      if (scheme.scheme === 'bearer') return { kind: 'token' };
      if (scheme.scheme === 'basic') return { kind: 'basic' };
      throw unsupported('only the http schemes bearer and basic are supported');
    case 'apiKey': {
      const location = scheme.in;
      if (!scheme.name) throw unsupported('the document gives no name for the key');
      if (location !== 'header' && location !== 'query' && location !== 'cookie') throw unsupported('an API key goes in a header, the query or a cookie');
      return { kind: 'apiKey', name: scheme.name, location };
    }
    case 'oauth2':
      if (!(scheme.flows ?? []).includes('clientCredentials')) throw unsupported('only the clientCredentials flow is supported (the others need a user)');
      if (!scheme.tokenUrl) throw unsupported('its clientCredentials flow has no usable tokenUrl');
      return { kind: 'client', tokenUrl: scheme.tokenUrl };
    case 'openIdConnect':
      throw unsupported('OpenID Connect discovery is not supported; give the authentication in the task (oauth2 with a token URL) instead');
    default:
      throw unsupported('not supported (supported: http bearer and basic, apiKey, oauth2 client credentials)');
  }
}

/**
 * A client secret the task gives goes to the token URL the document names: only over https (or to
 * this machine, for local setups), so a document cannot have it sent in clear across a network.
 * The operator's credentials have their own rule (`allow_http`).
 */
function checkTokenUrl(tokenUrl: string, scheme: string, operationId: string): void {
  let url: URL;
  try {
    url = new URL(tokenUrl);
  } catch {
    throw securityError('SECURITY_SCHEME_UNSUPPORTED', 'Unsupported Security Scheme', `security scheme '${scheme}' has a tokenUrl that is not an absolute URL`, scheme, operationId);
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname))) return;
  throw securityError(
    'SECURITY_SCHEME_UNSUPPORTED',
    'Unsupported Security Scheme',
    `security scheme '${scheme}' has the tokenUrl ${redactUrl(tokenUrl)}, which is not https: the task's client secret is sent only over https (or to a loopback address)`,
    scheme,
    operationId,
  );
}

function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The authentication that sends `value` the way `mapping` says. */
function authenticationOf(mapping: Mapping, value: CredentialValue, scopes: string[]): Authentication | undefined {
  if (mapping.kind === 'token' && value.kind === 'token') return { kind: 'bearer', token: value.token };
  if (mapping.kind === 'basic' && value.kind === 'basic') return { kind: 'basic', username: value.username, password: value.password };
  if (mapping.kind === 'apiKey' && value.kind === 'apiKey') return { kind: 'apikey', key: mapping.name, value: value.apiKey, location: mapping.location };
  if (mapping.kind === 'client' && value.kind === 'client') {
    return { kind: 'oauth2', tokenUrl: mapping.tokenUrl, clientId: value.clientId, clientSecret: value.clientSecret, scopes, audience: value.audience, clientAuth: value.clientAuth };
  }
  return undefined;
}

/** The secret a task gives for a scheme, read as the scheme needs it; undefined when it gives none. */
function taskValue(mapping: Mapping, given: JsonObject, name: string, operationId: string): CredentialValue | undefined {
  const secret = text(given['secret']);
  const incomplete = (what: string): WorkflowError =>
    securityError('CREDENTIAL_MISSING', 'Credential Missing', `security scheme '${name}' needs ${what} in the task's authentication`, name, operationId);
  const stated = text(given['type']);
  const expected = { token: 'bearer', basic: 'basic', apiKey: 'apikey', client: 'oauth2' }[mapping.kind];
  if (stated !== '' && stated !== expected && !(stated === 'oidc' && mapping.kind === 'client')) {
    throw securityError('CREDENTIAL_MISSING', 'Credential Missing', `the task gives ${stated} credentials for security scheme '${name}', which needs ${SECRET_WORDS[mapping.kind]}`, name, operationId);
  }
  switch (mapping.kind) {
    case 'token': {
      const token = text(given['token']) || secret;
      return token ? { kind: 'token', token } : undefined;
    }
    case 'basic': {
      const username = text(given['username']);
      const password = text(given['password']) || secret;
      if (!username && !password) return undefined;
      if (!username || !password) throw incomplete('a username and a password');
      return { kind: 'basic', username, password };
    }
    case 'apiKey': {
      const apiKey = text(given['value'] ?? given['api_key'] ?? given['key']) || secret;
      return apiKey ? { kind: 'apiKey', apiKey } : undefined;
    }
    case 'client': {
      const clientId = text(given['client_id'] ?? given['clientId']);
      const clientSecret = text(given['client_secret'] ?? given['clientSecret']) || secret;
      if (!clientId && !clientSecret) return undefined;
      if (!clientId || !clientSecret) throw incomplete('a client_id and a client_secret');
      const method = text(given['client_authentication']) || 'client_secret_post';
      if (method !== 'client_secret_post' && method !== 'client_secret_basic') {
        throw securityError('SECURITY_SCHEME_UNSUPPORTED', 'Unsupported Security Scheme', `unsupported OAuth2 client authentication: ${method} (supported: client_secret_post, client_secret_basic)`, name, operationId);
      }
      const audience = text(given['audience'] ?? (Array.isArray(given['audiences']) ? (given['audiences'] as unknown[])[0] : undefined));
      return { kind: 'client', clientId, clientSecret, clientAuth: method, audience: audience || undefined };
    }
  }
}

const VALUE_WORDS: Record<CredentialValue['kind'], string> = {
  token: 'a bearer token',
  basic: 'a user name and password',
  apiKey: 'an API key',
  client: 'an OAuth2 client',
};

export class DocumentSecurity {
  /** The authentications this resolver made from operator credentials (see `carriesOperatorCredential`). */
  private readonly fromOperator = new WeakSet<Authentication>();

  constructor(
    private readonly credentials: readonly OperatorCredential[],
    private readonly requirementsMode: SecurityRequirementsMode = 'auto',
  ) {}

  /**
   * Whether any of these authentications holds an operator's credential: such a call must not
   * follow redirects, which could take the credential (an API key header survives a redirect to
   * another origin) to a host the operator did not bind it to.
   */
  carriesOperatorCredential(authentications: readonly Authentication[]): boolean {
    return authentications.some((a) => this.fromOperator.has(a));
  }

  /**
   * The authentications for a task that names a scheme: the task's secret sent as the document
   * says, else the operator's credential for that scheme, if it is bound to the target. Throws a
   * `configuration` WorkflowError naming the scheme (never a secret) when it cannot be done.
   */
  forUse(use: SchemeUse, target: SecurityTarget): Authentication[] {
    const scheme = schemeNamed(target.security.schemes, use.scheme);
    if (!scheme) {
      const known = Object.keys(target.security.schemes);
      const listed = known.length > 20 ? `${known.slice(0, 20).join(', ')}, …` : known.join(', ');
      throw securityError('SECURITY_SCHEME_NOT_FOUND', 'Unknown Security Scheme', `security scheme '${use.scheme}' is not defined by the document (defined: ${listed || 'none'})`, use.scheme, target.operationId);
    }
    const mapping = mappingOf(use.scheme, scheme, target.operationId);
    const required = requiredScopes(target.security.requirements, use.scheme);
    const given = taskValue(mapping, use.given, use.scheme, target.operationId);
    if (given) {
      if (mapping.kind === 'client') checkTokenUrl(mapping.tokenUrl, use.scheme, target.operationId);
      // The task's own secret goes where its document says, as a task's explicit authentication does.
      const scopes = [...new Set([...required, ...scopesOf(use.given['scopes'] ?? use.given['scope'])])];
      return [authenticationOf(mapping, given, scopes) as Authentication];
    }
    return [this.operatorAuthentication(use.scheme, mapping, required, target)];
  }

  /**
   * The authentications for a task that gives none: the first alternative of the operation's
   * security requirement that the operator's credentials satisfy (every scheme of it), or none
   * when the operation asks for nothing or allows anonymous calls. Requirements are not applied
   * (calls go out as the task wrote them) in mode `off`, nor in mode `auto` without any configured
   * credential. Throws when no alternative can be met, with the reasons of each.
   */
  forOperation(target: SecurityTarget): Authentication[] {
    const { requirements, schemes } = target.security;
    if (this.requirementsMode === 'off' || (this.requirementsMode === 'auto' && this.credentials.length === 0) || requirements.length === 0) return [];
    const problems: WorkflowError[] = [];
    for (const alternative of requirements) {
      if (alternative.length === 0) return [];
      try {
        return alternative.map((requirement) => this.forRequirement(requirement, schemeNamed(schemes, requirement.scheme), target));
      } catch (error) {
        if (!(error instanceof WorkflowError)) throw error;
        problems.push(error);
      }
    }
    const first = problems[0] as WorkflowError;
    if (problems.length === 1) throw first;
    const reasons = [...new Set(problems.map((p) => p.detail))];
    throw new WorkflowError({
      kind: 'configuration',
      code: first.code,
      title: first.title,
      detail: `no security requirement of operation '${target.operationId}' can be met: ${reasons.join('; or ')}`,
      data: { task_type: 'call', operation_id: target.operationId, security_schemes: [...new Set(requirements.flat().map((r) => r.scheme))] },
    });
  }

  private forRequirement(requirement: SecurityRequirement, scheme: SecurityScheme | undefined, target: SecurityTarget): Authentication {
    if (!scheme) {
      throw securityError('SECURITY_SCHEME_NOT_FOUND', 'Unknown Security Scheme', `the operation's security requirement names '${requirement.scheme}', which the document does not define`, requirement.scheme, target.operationId);
    }
    return this.operatorAuthentication(requirement.scheme, mappingOf(requirement.scheme, scheme, target.operationId), requirement.scopes, target);
  }

  /** The operator's credential for the scheme, checked against the target (and token URL). */
  private operatorAuthentication(name: string, mapping: Mapping, scopes: string[], target: SecurityTarget): Authentication {
    const candidates = candidatesFor(this.credentials, name, target.tenant, target.documentUrl);
    if (candidates.length === 0) {
      throw securityError(
        'CREDENTIAL_MISSING',
        'Credential Missing',
        `no credential is configured for security scheme '${name}' (for this tenant and document): give it in the task's authentication or in CALL_CREDENTIALS_FILE`,
        name,
        target.operationId,
      );
    }
    const fitting = candidates.filter((c) => authenticationOf(mapping, c.value, scopes) !== undefined);
    if (fitting.length === 0) {
      const held = [...new Set(candidates.map((c) => VALUE_WORDS[c.value.kind]))].join(' or ');
      throw securityError('CREDENTIAL_MISSING', 'Credential Missing', `the credential configured for security scheme '${name}' holds ${held}, but the scheme needs ${SECRET_WORDS[mapping.kind]}`, name, target.operationId);
    }
    let why = '';
    for (const credential of fitting) {
      const refused =
        refusal(credential, target.url) ??
        (mapping.kind === 'client' ? tokenRefusal(credential, mapping.tokenUrl) : undefined) ??
        pinRefusal(credential.pin, mapping.kind === 'apiKey' ? { in: mapping.location, name: mapping.name } : mapping.kind === 'client' ? { tokenUrl: mapping.tokenUrl } : {});
      if (refused === undefined) {
        const authentication = authenticationOf(mapping, credential.value, scopes) as Authentication;
        this.fromOperator.add(authentication);
        return authentication;
      }
      why ||= refused;
    }
    throw securityError('CREDENTIAL_NOT_BOUND', 'Credential Not Bound', `the credential configured for security scheme '${name}' may not be sent to this call: ${why}`, name, target.operationId);
  }
}

function tokenRefusal(credential: OperatorCredential, tokenUrl: string): string | undefined {
  const refused = refusal(credential, tokenUrl);
  return refused === undefined ? undefined : `its token URL is refused: ${refused}`;
}

/** The scopes the operation's requirement lists for a scheme (every alternative that names it). */
function requiredScopes(requirements: readonly SecurityRequirement[][], scheme: string): string[] {
  const scopes = new Set<string>();
  for (const alternative of requirements) for (const r of alternative) if (r.scheme === scheme) for (const s of r.scopes) scopes.add(s);
  return [...scopes];
}
