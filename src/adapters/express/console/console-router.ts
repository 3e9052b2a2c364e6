import { readFileSync } from 'node:fs';
import path from 'node:path';
import express, { NextFunction, Request, Response, Router } from 'express';
import { accessOf, consoleApi, ConsoleApiDeps, ConsoleInfo } from './console-api';
import { ConsoleAuth, sameOrigin, SESSION_COOKIE } from './console-auth';
import { ConsolePage, renderLogin, renderPage } from './console-pages';
import { TraceSource, tracesApi } from './console-traces';

export interface ConsoleOptions extends Omit<ConsoleInfo, 'tokenSet'> {
  /** CONSOLE_TOKEN; without it the console is read-only and loopback-only. */
  token: string | undefined;
}

const ASSETS: Record<string, string> = { 'console.js': 'text/javascript; charset=utf-8', 'console-trace.js': 'text/javascript; charset=utf-8', 'console.css': 'text/css; charset=utf-8' };

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

function problem(res: Response, status: 401 | 403, detail: string): void {
  if (status === 401) res.set('WWW-Authenticate', 'Bearer realm="flunq-executor console"');
  res.status(status).type('application/problem+json').send(JSON.stringify({ title: status === 401 ? 'Unauthorized' : 'Forbidden', status, detail }));
}

/**
 * The web console, mounted at /console: three server-rendered pages (overview, recent outcomes,
 * dead letters) that a small script fills from the JSON API at /console/api, its script and
 * style (served from here: no CDN), and the login form. Access rules are in ConsoleAuth.
 */
export function consoleRouter(deps: ConsoleApiDeps & { traces?: TraceSource | undefined }, options: ConsoleOptions): Router {
  const auth = new ConsoleAuth(options.token);
  const info: ConsoleInfo = { instance: options.instance, mode: options.mode, concurrency: options.concurrency, tokenSet: auth.hasToken };
  const assets = new Map(Object.keys(ASSETS).map((name) => [name, readFileSync(path.join(__dirname, 'assets', name))]));
  const router = express.Router();

  router.use((req: Request, res: Response, next: NextFunction) => {
    res.set(SECURITY_HEADERS);
    res.locals['access'] = auth.access({ remoteAddress: req.socket.remoteAddress, host: req.headers.host, authorization: req.headers.authorization, cookie: req.headers.cookie });
    next();
  });

  router.get('/assets/:name', (req: Request, res: Response) => {
    const name = String(req.params['name']);
    const body = assets.get(name);
    if (!body) {
      res.status(404).end();
      return;
    }
    res.set('Cache-Control', 'no-cache').type(ASSETS[name] ?? 'application/octet-stream').send(body);
  });

  router.get('/login', (_req: Request, res: Response) => {
    res.type('html').send(renderLogin(info));
  });

  // A form post: same origin only (no login CSRF), the body read only here and kept small.
  router.post('/login', express.urlencoded({ extended: false, limit: '4kb' }), (req: Request, res: Response) => {
    if (!sameOrigin({ origin: req.headers.origin, host: req.headers.host, secFetchSite: req.get('sec-fetch-site') })) {
      problem(res, 403, 'cross-origin login refused');
      return;
    }
    const token = (req.body as { token?: unknown } | undefined)?.token;
    const session = auth.sessionValue();
    if (typeof token !== 'string' || session === undefined || !auth.checkToken(token)) {
      deps.logger.warn('console login refused', { remoteAddress: req.socket.remoteAddress });
      res.status(401).type('html').send(renderLogin(info, 'Wrong token.'));
      return;
    }
    res.cookie(SESSION_COOKIE, session, { httpOnly: true, sameSite: 'strict', path: '/console', secure: req.secure, maxAge: 12 * 3600_000 });
    res.redirect(303, '/console');
  });

  router.post('/logout', (req: Request, res: Response) => {
    if (!sameOrigin({ origin: req.headers.origin, host: req.headers.host, secFetchSite: req.get('sec-fetch-site') })) {
      problem(res, 403, 'cross-origin request refused');
      return;
    }
    res.clearCookie(SESSION_COOKIE, { path: '/console' });
    res.redirect(303, '/console/login');
  });

  // Everything below needs read access; writes (POST) need the token and, by cookie, the same origin.
  router.use((req: Request, res: Response, next: NextFunction) => {
    const access = accessOf(res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (!access.write) return problem(res, 401, auth.hasToken ? 'this action needs Authorization: Bearer <CONSOLE_TOKEN> or a console login' : 'replays, resolves and purges are off: no CONSOLE_TOKEN is set');
      if (access.via === 'cookie' && !sameOrigin({ origin: req.headers.origin, host: req.headers.host, secFetchSite: req.get('sec-fetch-site') })) return problem(res, 403, 'cross-origin request refused');
      if (!req.is('application/json')) return problem(res, 403, 'write actions take application/json');
      return next();
    }
    if (access.read) return next();
    if (req.path.startsWith('/api/')) return problem(res, 401, 'the console needs Authorization: Bearer <CONSOLE_TOKEN> (or a login) except from this machine');
    res.redirect(303, '/console/login');
  });

  router.use('/api/traces', tracesApi(deps.traces));
  router.use('/api', consoleApi(deps, info));
  const pages: Record<string, ConsolePage> = { '/': 'overview', '/outcomes': 'outcomes', '/dead-letters': 'dead-letters' };
  for (const [route, page] of Object.entries(pages)) {
    router.get(route, (_req: Request, res: Response) => {
      if (page === 'dead-letters' && !deps.deadLetters) {
        res.status(404).type('html').send(renderPage('overview', info, accessOf(res), false));
        return;
      }
      res.type('html').send(renderPage(page, info, accessOf(res), deps.deadLetters !== undefined));
    });
  }
  return router;
}
