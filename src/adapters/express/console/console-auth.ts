import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** The session cookie the login form sets (HttpOnly, SameSite=Strict, Path=/console). */
export const SESSION_COOKIE = 'flunq_console';

/** What a request to the console presents. */
export interface AccessRequest {
  /** The peer's address (the TCP connection's, never a forwarded header). */
  remoteAddress: string | undefined;
  /** The `Host` header. */
  host: string | undefined;
  authorization: string | undefined;
  cookie: string | undefined;
}

/**
 * What a request may do. `read`: the pages and the JSON API's GETs. `write`: replays, which also
 * need a same-origin check when the token came from the cookie (see `sameOrigin`).
 */
export interface Access {
  read: boolean;
  write: boolean;
  via: 'bearer' | 'cookie' | 'loopback' | 'none';
}

/** A loopback peer address: 127.0.0.0/8, ::1 or IPv4-mapped 127.x. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.toLowerCase();
  if (a === '::1') return true;
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * A Host header naming this machine (`localhost`, 127.x, [::1], with any port). A page of another
 * site whose name was rebound to 127.0.0.1 sends its own name, so it does not pass (DNS rebinding).
 */
export function isLoopbackHostHeader(host: string | undefined): boolean {
  if (!host) return false;
  const h = host.trim().toLowerCase();
  const name = h.startsWith('[') ? h.slice(1, h.indexOf(']')) : h.replace(/:\d+$/, '');
  return name === 'localhost' || isLoopbackAddress(name);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Who may use the console. Reads need nothing more than a loopback peer that names a loopback
 * host; everything else, and every write, needs CONSOLE_TOKEN: as `Authorization: Bearer`, or as
 * the session cookie the login form sets (a keyed digest of the token, not the token itself).
 * Comparisons are constant-time. Without a token configured, only loopback reads are possible.
 */
export class ConsoleAuth {
  private readonly tokenDigest: Buffer | undefined;
  private readonly session: string | undefined;

  constructor(token: string | undefined) {
    this.tokenDigest = token ? sha256(token) : undefined;
    this.session = token ? createHmac('sha256', token).update('flunq-executor console session').digest('hex') : undefined;
  }

  get hasToken(): boolean {
    return this.tokenDigest !== undefined;
  }

  /** Whether `candidate` is the token (constant time). */
  checkToken(candidate: string): boolean {
    return this.tokenDigest !== undefined && timingSafeEqual(sha256(candidate), this.tokenDigest);
  }

  /** The cookie value a successful login sets; undefined without a token. */
  sessionValue(): string | undefined {
    return this.session;
  }

  access(request: AccessRequest): Access {
    if (this.tokenDigest) {
      const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.authorization ?? '')?.[1];
      if (bearer !== undefined && this.checkToken(bearer)) return { read: true, write: true, via: 'bearer' };
      const cookie = cookieValue(request.cookie, SESSION_COOKIE);
      if (cookie !== undefined && this.session !== undefined && timingSafeEqual(sha256(cookie), sha256(this.session))) return { read: true, write: true, via: 'cookie' };
    }
    if (isLoopbackAddress(request.remoteAddress) && isLoopbackHostHeader(request.host)) return { read: true, write: false, via: 'loopback' };
    return { read: false, write: false, via: 'none' };
  }
}

/**
 * The CSRF check of a write authorised by the cookie: the browser says the request comes from the
 * console's own origin (`Origin` equal to this host, or `Sec-Fetch-Site: same-origin`). A bearer
 * header cannot be sent by another site's page, so such requests need no check.
 */
export function sameOrigin(headers: { origin?: string | undefined; host?: string | undefined; secFetchSite?: string | undefined }): boolean {
  const { origin, host } = headers;
  if (origin !== undefined && origin !== 'null') {
    if (!host) return false;
    return origin === `http://${host}` || origin === `https://${host}`;
  }
  return headers.secFetchSite === 'same-origin';
}
