import { readFileSync } from 'node:fs';
import { ConnectionOptions, credsAuthenticator } from 'nats';

/** Where the executor's NATS is and how it authenticates (NATS_URL, NATS_CREDS). */
export interface NatsConnectionSettings {
  /** `nats://[user:password@|token@]host:port` (`tls://` for TLS), or several separated by commas. */
  url: string;
  /** A credentials file (JWT and NKey seed); undefined: none. */
  credsFile: string | undefined;
}

/**
 * Connection options for the nats client: the servers without their credentials, and the user and
 * password (or the token, a user name without a password) taken from the first URL that has them.
 * The client reconnects for ever; callers watch its status for readiness.
 */
export function connectionOptions(settings: NatsConnectionSettings, name: string): ConnectionOptions {
  const servers: string[] = [];
  const options: ConnectionOptions = { name, reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 500, waitOnFirstConnect: false, timeout: 5000 };
  for (const raw of settings.url.split(',').map((s) => s.trim()).filter(Boolean)) {
    const url = new URL(raw.includes('://') ? raw : `nats://${raw}`);
    if (url.username && options.user === undefined && options.token === undefined) {
      const user = decodeURIComponent(url.username);
      if (url.password) {
        options.user = user;
        options.pass = decodeURIComponent(url.password);
      } else options.token = user;
    }
    servers.push(url.port ? url.host : `${url.host}:4222`);
    // `tls://` asks for TLS (verified against the system's certificate authorities).
    if (url.protocol === 'tls:') options.tls = {};
  }
  options.servers = servers;
  if (settings.credsFile) options.authenticator = credsAuthenticator(readFileSync(settings.credsFile));
  return options;
}

/** A connection failure in an operator's words (no secrets): what to check. */
export function connectionProblem(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  if (code === 'CONNECTION_REFUSED') return 'connection refused';
  if (code === 'TIMEOUT') return 'no answer in time';
  if (code === 'AUTHORIZATION_VIOLATION' || code === 'AUTHENTICATION_EXPIRED') return 'authorization refused (check the user and password or token in NATS_URL, or NATS_CREDS)';
  return error instanceof Error ? error.message : 'unknown error';
}

/** The servers of NATS_URL without credentials, for messages: `host:port[,host:port]`. */
export function serversOf(url: string): string {
  return url
    .split(',')
    .map((s) => s.trim().replace(/^[a-z]+:\/\//, '').replace(/^[^@/]*@/, ''))
    .filter(Boolean)
    .join(',');
}
