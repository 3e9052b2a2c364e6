import { DeadLetterRecord, DeadLetterStore, DeadLetterStoreUnavailable, DeadLetterSummary, ReplayRecord } from '../../src/application/ports/dead-letter-store.port';
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
  readonly calls: string[] = [];
  unavailable = false;
  /** Message ids whose replay fails with an ordinary error (a failed write). */
  readonly failingReplays = new Set<string>();
  closed = false;
  private readonly letters: StoredDeadLetter[];

  constructor(letters: StoredDeadLetter[] = []) {
    this.letters = [...letters];
  }

  async list(locations?: readonly string[]): Promise<DeadLetterSummary[]> {
    await this.reach(`list ${locations?.join(',') ?? '*'}`);
    const wanted = locations && locations.length > 0 ? this.letters.filter((l) => locations.includes(l.location)) : this.letters;
    return wanted.map((l) => summary(l)).sort((a, b) => b.ageMs - a.ageMs);
  }

  async get(location: string, messageId: string): Promise<DeadLetterRecord | undefined> {
    await this.reach(`get ${location} ${messageId}`);
    const letter = this.find(location, messageId);
    if (!letter) return undefined;
    return { summary: summary(letter), event: event(letter), replays: this.replays.filter((r) => r.location === location && r.deadLetterId === messageId) };
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
}

function summary(l: StoredDeadLetter): DeadLetterSummary {
  const taskId = l.taskId ?? '';
  return { location: l.location, messageId: l.messageId, eventId: `task-requested-${taskId}`, taskId, taskName: 'x', taskType: 'set', workflowId: l.workflowId ?? 'wf_1', executionId: 'ex_1', tenantId: 'acme', reason: l.reason ?? 'PUBLICATION_FAILED: down', attempts: 3, ageMs: l.ageMs ?? 0 };
}

function event(l: StoredDeadLetter): FlunqEvent {
  const taskId = l.taskId ?? '';
  return { id: `task-requested-${taskId}`, source: 'worker-service', specversion: '1.0', type: 'io.flunq.task.dlq', time: '2025-08-25T19:35:40Z', workflowId: 'wf_1', executionId: 'ex_1', taskId, tenantId: 'acme', data: '{"task_type":"set"}', extensions: { reason: l.reason ?? '' } };
}
