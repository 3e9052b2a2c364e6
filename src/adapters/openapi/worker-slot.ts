import { Worker } from 'node:worker_threads';
import { WorkflowError } from '../../domain/workflow-error';
import { DocumentReply, DocumentRequest } from './document-worker';

/**
 * The parts of the document workers' scheduling (see OpenApiDocumentWorkers): worker threads, the
 * requests queued for them, and the slots that pair one thread with its queue.
 */

export type Request = DocumentRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;
export type OkReply = Extract<DocumentReply, { ok: true }>;

/** One worker thread. Once it is stopped (`alive` false), every document it held is gone. */
export class Thread {
  alive = true;
  /** It has loaded its code: requests are sent only then, so that start-up does not count against their limits. */
  ready = false;
  /** Documents it holds, as of its last answer. */
  held = 0;
  constructor(readonly worker: Worker) {}
}

export interface Job {
  request: Request;
  tenant: string;
  timeoutMs: number;
  /** For `prepare` and `drop`: the thread holding the document (a load runs on whichever thread the slot has). */
  thread: Thread | undefined;
  resolve(answer: { reply: OkReply; thread: Thread }): void;
  reject(error: WorkflowError): void;
}

/** A place for one thread and the queue of requests it works through, one at a time. */
export interface Slot {
  /** The tenant the slot belongs to; others use it only while every slot is busy. */
  owner: string;
  /** Started on demand; replaced after it is stopped. */
  thread: Thread | undefined;
  current: { job: Job; timer: NodeJS.Timeout } | undefined;
  queue: Job[];
  /** When a request last came for the slot (a sequence number): the least recently used idle slot is retired first. */
  lastUsed: number;
  /** Tenant of the last load started here, so that tenants sharing the slot take turns. */
  lastLoadTenant: string | undefined;
}
