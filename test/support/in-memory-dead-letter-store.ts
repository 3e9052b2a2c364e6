import { DeadLetterRecord, DeadLetterResolution, DeadLetterStore, DeadLetterStoreUnavailable, DeadLetterSummary, PurgeResult, ReplayRecord, ResolveRequest, ResolveResult, statusOf } from '../../src/application/ports/dead-letter-store.port';
import { FlunqEvent } from '../../src/domain/flunq-event';

/** A dead letter as a test writes it: where it is, and what the summary and event say. */
export interface StoredDeadLetter {
  location: string;
  messageId: string;
  taskId?: string;
  reason?: string;
  ageMs?: number;
  workflowId?: string;
}

/** Dead letters kept in a list, for use-case tests; `unavailable` makes every call fail as an unreachable store does. */
export class InMemoryDeadLetterStore implements DeadLetterStore {
  readonly replays: ReplayRecord[] = [];
  /** Resolutions by `location messageId`. */
  readonly resolutions = new Map<string, DeadLetterResolution>();
  readonly calls: string[] = [];
  unavailable = false;
  /** Message ids whose replay fails with an ordinary error (a failed write). */
  readonly failingReplays = new Set<string>();
  /** Message ids whose resolve and purge fail with an ordinary error (a failed write). */
  readonly failingWrites = new Set<string>();
  closed = false;
  private readonly letters: StoredDeadLetter[];

  constructor(letters: StoredDeadLetter[] = []) {
    this.letters = [...letters];
  }

  async list(locations?: readonly string[]): Promise<DeadLetterSummary[]> {
    await this.reach(`list ${locations?.join(',') ?? '*'}`);
    const wanted = locations && locations.length > 0 ? this.letters.filter((l) => locations.includes(l.location)) : this.letters;
    return wanted.map((l) => this.summary(l)).sort((a, b) => b.ageMs - a.ageMs);
  }

  async get(location: string, messageId: string): Promise<DeadLetterRecord | undefined> {
    await this.reach(`get ${location} ${messageId}`);
    const letter = this.find(location, messageId);
    if (!letter) return undefined;
    return { summary: this.summary(letter), event: event(letter), replays: this.replaysOf(location, messageId) };
  }

  async replay(location: string, messageId: string): Promise<ReplayRecord> {
    await this.reach(`replay ${location} ${messageId}`);
    if (this.failingReplays.has(messageId)) throw new Error('write refused');
    const letter = this.find(location, messageId);
    if (!letter) throw new Error(`${location} ${messageId} is not a dead letter`);
    const n = this.replays.filter((r) => r.location === location && r.deadLetterId === messageId).length + 1;
    const replay: ReplayRecord = { location, deadLetterId: messageId, replay: n, messageId: `new-${this.replays.length + 1}`, eventId: `task-requested-${letter.taskId ?? ''}-replay-${n}`, replayedAt: '2025-08-25T19:35:40Z' };
    this.replays.push(replay);
    return replay;
  }

  async resolve(location: string, messageId: string, request: ResolveRequest): Promise<ResolveResult> {
    await this.reach(`resolve ${location} ${messageId}`);
    if (this.failingWrites.has(messageId)) throw new Error('write refused');
    if (!this.find(location, messageId)) throw new Error(`${location} ${messageId} is not a dead letter`);
    const earlier = this.resolutions.get(`${location} ${messageId}`);
    if (earlier) return { resolution: earlier, alreadyResolved: true };
    const resolution: DeadLetterResolution = { resolvedAt: '2025-08-25T19:40:00Z', by: request.by, ...(request.note ? { note: request.note } : {}) };
    this.resolutions.set(`${location} ${messageId}`, resolution);
    return { resolution, alreadyResolved: false };
  }

  async purge(location: string, messageId: string): Promise<PurgeResult> {
    await this.reach(`purge ${location} ${messageId}`);
    if (this.failingWrites.has(messageId)) throw new Error('write refused');
    const letter = this.find(location, messageId);
    if (!letter) throw new Error(`${location} ${messageId} is not a dead letter`);
    this.letters.splice(this.letters.indexOf(letter), 1);
    const replayRecords = this.replaysOf(location, messageId).length;
    const resolution = this.resolutions.delete(`${location} ${messageId}`);
    return { replayRecords, resolution };
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /** Records the call; rejects as an unreachable store does when `unavailable`. */
  private reach(call: string): Promise<void> {
    this.calls.push(call);
    return this.unavailable ? Promise.reject(new DeadLetterStoreUnavailable('cannot connect to the store: connection refused')) : Promise.resolve();
  }

  private find(location: string, messageId: string): StoredDeadLetter | undefined {
    return this.letters.find((l) => l.location === location && l.messageId === messageId);
  }

  private replaysOf(location: string, messageId: string): ReplayRecord[] {
    return this.replays.filter((r) => r.location === location && r.deadLetterId === messageId);
  }

  private summary(l: StoredDeadLetter): DeadLetterSummary {
    const taskId = l.taskId ?? '';
    const replays = this.replaysOf(l.location, l.messageId).length;
    const resolution = this.resolutions.get(`${l.location} ${l.messageId}`);
    return {
      location: l.location,
      messageId: l.messageId,
      eventId: `task-requested-${taskId}`,
      taskId,
      taskName: 'x',
      taskType: 'set',
      workflowId: l.workflowId ?? 'wf_1',
      executionId: 'ex_1',
      tenantId: 'acme',
      reason: l.reason ?? 'PUBLICATION_FAILED: down',
      attempts: 3,
      ageMs: l.ageMs ?? 0,
      replays,
      status: statusOf(replays, resolution),
      ...(resolution ? { resolution } : {}),
    };
  }
}

function event(l: StoredDeadLetter): FlunqEvent {
  const taskId = l.taskId ?? '';
  return { id: `task-requested-${taskId}`, source: 'worker-service', specversion: '1.0', type: 'io.flunq.task.dlq', time: '2025-08-25T19:35:40Z', workflowId: 'wf_1', executionId: 'ex_1', taskId, tenantId: 'acme', data: '{"task_type":"set"}', extensions: { reason: l.reason ?? '' } };
}
