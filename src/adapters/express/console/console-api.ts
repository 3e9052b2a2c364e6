import express, { Request, Response, Router } from 'express';
import { TaskActivity } from '../../../application/activity/task-activity';
import { ListDeadLetters } from '../../../application/operations/list-dead-letters.use-case';
import { PurgeDeadLetters } from '../../../application/operations/purge-dead-letters.use-case';
import { ReplayDeadLetters, ReplayOutcome } from '../../../application/operations/replay-dead-letters.use-case';
import { noteProblem, ResolveDeadLetters } from '../../../application/operations/resolve-dead-letters.use-case';
import { ShowDeadLetter } from '../../../application/operations/show-dead-letter.use-case';
import { ShowTask } from '../../../application/operations/show-task.use-case';
import { BacklogView } from '../../../application/ports/backlog.port';
import { CircuitStates } from '../../../application/ports/circuit-states.port';
import { DeadLetterStoreUnavailable } from '../../../application/ports/dead-letter-store.port';
import { Logger } from '../../../application/ports/logger.port';
import { ServiceStatus } from '../../../application/ports/service-status.port';
import { TaskHistoryUnavailable } from '../../../application/ports/task-history.port';
import { redactDeep, redactText } from '../../../domain/redaction';
import { Access } from './console-auth';
import { deadLetterFilter, filterDeadLetters, outcomeFilter, param, replayItems, resolveBody } from './console-filters';

/** The dead-letter operations, where the backend has dead letters. */
export interface ConsoleDeadLetters {
  list: ListDeadLetters;
  show: ShowDeadLetter;
  replay: ReplayDeadLetters;
  resolve: ResolveDeadLetters;
  purge: PurgeDeadLetters;
}

export interface ConsoleApiDeps {
  activity: TaskActivity;
  circuits: CircuitStates;
  status: ServiceStatus;
  logger: Logger;
  deadLetters?: ConsoleDeadLetters | undefined;
  /** The backlog per location, where the backend counts it. */
  backlog?: BacklogView | undefined;
  /** A task's history in the backend (`tasks show`), where the backend can search it. */
  tasks?: ShowTask | undefined;
}

/**
 * Most entries one console request examines: a page must answer in a few seconds, so without the
 * workflow a busy backend's history may be cut short (the answer says so; the CLI reads further).
 */
const CONSOLE_HISTORY_LIMIT = 100_000;
const CONSOLE_HISTORY_TIME_MS = 10_000;

export interface ConsoleInfo {
  /** This replica's consumer name. */
  instance: string;
  /** `embedded` or `production`. */
  mode: string;
  concurrency: number;
  /** Whether CONSOLE_TOKEN is set (writes are possible at all). */
  tokenSet: boolean;
}

/** The access the router's guard found, kept on the response for the handlers. */
export function accessOf(res: Response): Access {
  return (res.locals as { access?: Access }).access ?? { read: false, write: false, via: 'none' };
}

/** Parses a dead letter's original data and blanks secrets in it (header values, tokens, passwords…). */
function redactedPayload(data: string | undefined): unknown {
  if (data === undefined) return null;
  try {
    return redactDeep(JSON.parse(data) as unknown);
  } catch {
    return redactText(data);
  }
}

/** Who resolves from the console, for the resolution's record: how they signed in, and from where. */
function operatorOf(req: Request, res: Response): string {
  const via = accessOf(res).via;
  return `console (${via === 'cookie' ? 'login' : via === 'bearer' ? 'bearer token' : via}, ${req.socket.remoteAddress ?? 'unknown address'})`;
}

function unavailable(res: Response, error: unknown): boolean {
  if (!(error instanceof DeadLetterStoreUnavailable) && !(error instanceof TaskHistoryUnavailable)) return false;
  res.status(503).json({ error: error.message });
  return true;
}

/**
 * The console's JSON API (mounted at /console/api after the access guard): overview, recent
 * outcomes and their payloads, dead letters and their replay, resolve and purge. Every answer is
 * `no-store`.
 */
export function consoleApi(deps: ConsoleApiDeps, info: ConsoleInfo): Router {
  const api = express.Router();
  const { activity, deadLetters } = deps;

  api.get('/overview', (req: Request, res: Response) => {
    const seconds = Number(param(req.query, 'seconds')) || 60;
    const live = deps.status.live();
    const ready = deps.status.ready();
    const access = accessOf(res);
    res.json({
      instance: info.instance,
      mode: info.mode,
      now: Date.now(),
      concurrency: info.concurrency,
      status: { live: live.ok, ready: ready.ok, reason: ready.reason ?? live.reason ?? '' },
      inFlight: activity.inFlight(),
      waiting: activity.waitingCount(),
      rates: activity.rates(seconds),
      circuits: deps.circuits.snapshot().slice(0, 200),
      // null: not counted yet (the first audit pass) ; absent: this backend does not count it.
      ...(deps.backlog ? { backlog: deps.backlog.backlog() ?? null } : {}),
      deadLetters: deadLetters !== undefined,
      access: { via: access.via, write: access.write, tokenSet: info.tokenSet },
    });
  });

  api.get('/outcomes', (req: Request, res: Response) => {
    const filter = outcomeFilter(req.query);
    if ('problem' in filter) {
      res.status(400).json({ error: filter.problem });
      return;
    }
    res.json({ items: activity.recent(filter) });
  });

  api.get('/outcomes/:seq', (req: Request, res: Response) => {
    const detail = activity.outcome(Number(req.params['seq']));
    if (!detail) {
      res.status(404).json({ error: 'no such outcome (it may have left the recent outcomes)' });
      return;
    }
    res.json(detail);
  });

  api.get('/dead-letters', (req: Request, res: Response, next) => {
    if (!deadLetters) {
      res.status(404).json({ error: 'this backend keeps no dead letters the console can read' });
      return;
    }
    const filter = deadLetterFilter(req.query);
    if ('problem' in filter) {
      res.status(400).json({ error: filter.problem });
      return;
    }
    deadLetters.list
      .execute({ ...(filter.workflowId ? { workflowId: filter.workflowId } : {}), ...(filter.reason ? { reason: filter.reason } : {}), statuses: filter.statuses })
      .then((all) => res.json(filterDeadLetters(all, filter)))
      .catch((error: unknown) => {
        if (!unavailable(res, error)) next(error);
      });
  });

  api.get('/dead-letters/detail', (req: Request, res: Response, next) => {
    const location = param(req.query, 'location');
    const messageId = param(req.query, 'id');
    if (!deadLetters || !location || !messageId) {
      res.status(deadLetters ? 400 : 404).json({ error: deadLetters ? 'location and id are required' : 'no dead letters here' });
      return;
    }
    deadLetters.show
      .execute({ location, messageId })
      .then((record) => {
        if (!record) {
          res.status(404).json({ error: 'not a dead letter' });
          return;
        }
        const { event } = record;
        // The original request may carry credentials: shown only through the same redaction as published payloads.
        res.json({
          summary: record.summary,
          event: { id: event.id, type: event.type, time: event.time, source: event.source, extensions: redactDeep(event.extensions) },
          payload: redactedPayload(event.data),
          replays: record.replays,
        });
      })
      .catch((error: unknown) => {
        if (!unavailable(res, error)) next(error);
      });
  });

  api.post('/dead-letters/replay', express.json({ limit: '64kb' }), (req: Request, res: Response, next) => {
    if (!deadLetters) {
      res.status(404).json({ error: 'no dead letters here' });
      return;
    }
    const items = replayItems(req.body);
    if ('problem' in items) {
      res.status(400).json({ error: items.problem });
      return;
    }
    const byLocation = new Map<string, string[]>();
    for (const { location, messageId } of items) byLocation.set(location, [...(byLocation.get(location) ?? []), messageId]);
    void (async () => {
      const results: ReplayOutcome[] = [];
      for (const [location, messageIds] of byLocation) results.push(...(await deadLetters.replay.execute({ location, messageIds })));
      const replayed = results.filter((r) => 'replayed' in r).length;
      deps.logger.info('dead letters replayed from the console', { replayed, refused: results.length - replayed, via: accessOf(res).via });
      res.json({ results });
    })().catch((error: unknown) => {
      if (!unavailable(res, error)) next(error);
    });
  });

  api.get('/tasks/history', (req: Request, res: Response, next) => {
    const taskId = param(req.query, 'task');
    const workflowId = param(req.query, 'workflow');
    if (!deps.tasks || !taskId) {
      res.status(deps.tasks ? 400 : 404).json({ error: deps.tasks ? 'task is required' : 'this backend keeps no task history the console can read' });
      return;
    }
    deps.tasks
      .execute({ taskId, ...(workflowId ? { workflowId } : {}), limit: CONSOLE_HISTORY_LIMIT, timeLimitMs: CONSOLE_HISTORY_TIME_MS })
      // Outputs and reasons were redacted when written; redacted again as every payload the console shows.
      .then((shown) => res.status(shown.entries.length > 0 ? 200 : 404).json({ ...shown, entries: redactDeep(shown.entries) }))
      .catch((error: unknown) => {
        if (!unavailable(res, error)) next(error);
      });
  });

  api.post('/dead-letters/resolve', express.json({ limit: '64kb' }), (req: Request, res: Response, next) => {
    if (!deadLetters) {
      res.status(404).json({ error: 'no dead letters here' });
      return;
    }
    const body = resolveBody(req.body);
    if ('problem' in body) {
      res.status(400).json({ error: body.problem });
      return;
    }
    const noteIssue = noteProblem(body.note?.trim() ?? '');
    if (noteIssue) {
      res.status(400).json({ error: noteIssue });
      return;
    }
    const by = operatorOf(req, res);
    deadLetters.resolve
      .execute({ items: body.items, by, ...(body.note ? { note: body.note } : {}) })
      .then((results) => {
        const resolved = results.filter((r) => 'resolved' in r).length;
        deps.logger.info('dead letters resolved from the console', { resolved, refused: results.length - resolved, by });
        res.json({ results });
      })
      .catch((error: unknown) => {
        if (!unavailable(res, error)) next(error);
      });
  });

  api.post('/dead-letters/purge', express.json({ limit: '64kb' }), (req: Request, res: Response, next) => {
    if (!deadLetters) {
      res.status(404).json({ error: 'no dead letters here' });
      return;
    }
    const items = replayItems(req.body, 100, 'purge');
    if ('problem' in items) {
      res.status(400).json({ error: items.problem });
      return;
    }
    const by = operatorOf(req, res);
    deadLetters.purge
      .execute({ items })
      .then((results) => {
        // Gone for good: the log keeps which ones, and who purged them.
        const purged = results.filter((r) => 'purged' in r).map((r) => `${r.location} ${r.messageId}`);
        deps.logger.warn('dead letters purged from the console', { purged: purged.length, refused: results.length - purged.length, by, deadLetters: purged });
        res.json({ results });
      })
      .catch((error: unknown) => {
        if (!unavailable(res, error)) next(error);
      });
  });

  return api;
}
