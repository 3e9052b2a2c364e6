/**
 * Credentials the operator configures for the security schemes of OpenAPI documents
 * (CALL_CREDENTIALS_FILE), and the rule that decides where each may be sent. Tasks and documents
 * are untrusted: a task may name any document, and a document may name any server and token URL,
 * so a credential goes only to the hosts the operator bound it to, never where a document says.
 */

/** A host a credential may be sent to: an exact name (or IP literal, IPv6 in brackets), lower-case. */
export interface HostBinding {
  hostname: string;
  /** Undefined: the default port of the URL's scheme (443 for https, 80 for http) only. */
  port: number | undefined;
}

/** The secret itself, by the kind of scheme it serves. */
export type CredentialValue =
  /** http bearer. */
  | { kind: 'token'; token: string }
  /** http basic. */
  | { kind: 'basic'; username: string; password: string }
  /** apiKey (header, query or cookie, as the document's scheme says). */
  | { kind: 'apiKey'; apiKey: string }
  /** oauth2 client credentials. */
  | { kind: 'client'; clientId: string; clientSecret: string; clientAuth: 'client_secret_post' | 'client_secret_basic'; audience: string | undefined };

export interface OperatorCredential {
  /** Where it was configured (`credentials[2]`), for messages; never a secret. */
  label: string;
  /** The `components.securitySchemes` name it serves. */
  scheme: string;
  /** Document URLs (as `new URL().href` writes them) it is used with; empty: any document. */
  documents: readonly string[];
  /** Hosts it may be sent to (the request and, for OAuth2, the token URL); never empty. */
  hosts: readonly HostBinding[];
  /** Tenants whose tasks may use it; empty: every tenant. */
  tenants: readonly string[];
  /** Sent over plain http as well (local and test setups); by default https only. */
  allowHttp: boolean;
  /**
   * How the document must send it, when the operator pins it (required for credentials bound to
   * hosts only, whose documents are anyone's): an API key's place and name, an OAuth2 token URL.
   */
  pin: CredentialPin;
  value: CredentialValue;
}

export interface CredentialPin {
  /** apiKey: `header`, `query` or `cookie`. */
  in?: string;
  /** apiKey: the header, query parameter or cookie name (header names compare case-insensitively). */
  name?: string;
  /** oauth2: the token URL (as `new URL().href` writes it). */
  tokenUrl?: string;
}

/** Why the document's way of sending the secret breaks the credential's pin; undefined when it does not. */
export function pinRefusal(pin: CredentialPin, sent: { in?: string; name?: string; tokenUrl?: string }): string | undefined {
  if (pin.in !== undefined && sent.in !== undefined && pin.in !== sent.in) return `the document sends it in the ${sent.in}, the credential is pinned to the ${pin.in}`;
  if (pin.name !== undefined && sent.name !== undefined) {
    const same = (pin.in ?? sent.in) === 'header' ? pin.name.toLowerCase() === sent.name.toLowerCase() : pin.name === sent.name;
    if (!same) return `the document names it "${sent.name}", the credential is pinned to "${pin.name}"`;
  }
  if (pin.tokenUrl !== undefined && sent.tokenUrl !== undefined && documentKey(sent.tokenUrl) !== pin.tokenUrl) return 'the document\'s token URL is not the one the credential is pinned to';
  return undefined;
}

/** `api.example.com`, `api.example.com:8443`, `127.0.0.1:4010`, `[::1]:8080`. */
const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*)(?::(\d{1,5}))?$/i;

/** A host entry as written by the operator; undefined when it is not one. */
export function parseHostBinding(text: string): HostBinding | undefined {
  const m = HOST.exec(text.trim());
  if (!m?.[1]) return undefined;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65_535)) return undefined;
  return { hostname: m[1].toLowerCase(), port };
}

/** The host entry a URL's own host makes: its name, and its port when it is not the default. */
export function hostBindingOf(url: URL): HostBinding {
  return { hostname: url.hostname.toLowerCase(), port: url.port === '' ? undefined : Number(url.port) };
}

export function describeHost(binding: HostBinding): string {
  return binding.port === undefined ? binding.hostname : `${binding.hostname}:${binding.port}`;
}

/** The document URL as bindings compare it; undefined when it is not an absolute URL. */
export function documentKey(url: string): string | undefined {
  try {
    return new URL(url).href;
  } catch {
    return undefined;
  }
}

/** Why a credential may not go to a URL; undefined when it may. */
export function refusal(credential: OperatorCredential, target: string): string | undefined {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return 'it is not an absolute URL';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && credential.allowHttp)) {
    return url.protocol === 'http:' ? 'it is plain http and the credential is for https only (allow_http is not set)' : `its scheme ${url.protocol.replace(/:$/, '')} is not http(s)`;
  }
  const hostname = url.hostname.toLowerCase();
  const port = url.port === '' ? undefined : Number(url.port);
  const bound = credential.hosts.some((h) => h.hostname === hostname && h.port === port);
  return bound ? undefined : `the credential is not bound to host ${describeHost({ hostname, port })}`;
}

/** The credentials configured for `scheme` that the tenant may use with the document, in file order. */
export function candidatesFor(credentials: readonly OperatorCredential[], scheme: string, tenant: string, documentUrl: string): OperatorCredential[] {
  const document = documentKey(documentUrl);
  return credentials.filter(
    (c) => c.scheme === scheme && (c.tenants.length === 0 || c.tenants.includes(tenant)) && (c.documents.length === 0 || (document !== undefined && c.documents.includes(document))),
  );
}
