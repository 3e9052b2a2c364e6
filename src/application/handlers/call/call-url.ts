import { isSensitiveQueryName, redactUrl } from '../../../domain/redaction';
import { errors } from '../../../domain/workflow-error';
import { Authentication, Secrets } from './authentication';

/** Credentials written into a URL (`https://user:pass@host/…`), percent-decoded. */
interface UrlCredentials {
  username: string;
  password: string;
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** An absolute http(s) URL; anything else is a `configuration` error that quotes the URL without its secrets. */
export function parseCallUrl(text: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw errors.configuration(`invalid call configuration: invalid url: ${redactUrl(text)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw errors.configuration(`invalid call configuration: unsupported URL scheme: ${parsed.protocol.replace(/:$/, '')} (supported: http, https)`);
  }
  return parsed;
}

/**
 * The call URL without its user info, and the authentication to send. Credentials written into
 * the URL are sent as HTTP basic authentication (RFC 3986 deprecates them in URLs, and HTTP
 * clients do not send them on their own); when the task also has an `authentication`, the call
 * is refused as ambiguous. The URL's password is added to `secrets` first, in every form, so that
 * it is redacted even from the refusal.
 */
export function prepareCallUrl(text: string, auth: Authentication | undefined, secrets: Secrets): { url: URL; auth: Authentication | undefined } {
  const url = parseCallUrl(text);
  if (url.username === '' && url.password === '') return { url, auth };
  const credentials: UrlCredentials = { username: decoded(url.username), password: decoded(url.password) };
  // A token is often written as the user name alone (`https://<token>@host/`): that is secret too.
  if (url.password !== '') secrets.values.push(url.password, credentials.password);
  else secrets.values.push(url.username, credentials.username);
  url.username = '';
  url.password = '';
  if (auth) {
    throw errors.configuration(`invalid call configuration: the URL ${redactUrl(text)} carries credentials (user info) and the task also has ${auth.kind} authentication; give the credentials in one place only`);
  }
  return { url, auth: { kind: 'basic', username: credentials.username, password: credentials.password } };
}

/**
 * Values of query parameters with sensitive names (`?api_key=…`, `?access_token=…`): they are
 * sent as written, and redacted from everything published, in every form.
 */
export function addQuerySecrets(url: string, secrets: Secrets): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return;
  }
  for (const [name, value] of parsed.searchParams) if (value !== '' && isSensitiveQueryName(name, secrets.names)) secrets.values.push(value);
}
