/**
 * The peer: BullMQ, the most used Node job queue, doing the executor's work per job in its own Redis
 * format. Jobs carry the flunq request's fields; a worker with the executor's concurrency runs
 * the same `set` work (the completion payload built from the request) or the same HTTP call
 * (`undici.request`, JSON body), and BullMQ stores the result with the job as it does by default.
 */
import Redis from 'ioredis';
import { Job, Queue, Worker } from 'bullmq';
import { Agent } from 'undici';
import { callOutput, completionPayload, Json, obj } from './ideal-loop';

export const BULLMQ_QUEUE = 'flunq-bench';

/** Adds `count` jobs (the request fields of `fields(i)`) in bulk, as a producer would. */
export async function preloadBullmq(url: string, count: number, fields: (i: number) => string[]): Promise<void> {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue(BULLMQ_QUEUE, { connection });
  try {
    for (let start = 0; start < count; start += 1000) {
      const jobs = [];
      for (let i = start; i < Math.min(count, start + 1000); i++) {
        const flat = fields(i);
        const map: Record<string, string> = {};
        for (let k = 0; k + 1 < flat.length; k += 2) map[flat[k] as string] = flat[k + 1] as string;
        jobs.push({ name: 'task', data: map });
      }
      await queue.addBulk(jobs);
    }
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/** A started-on-demand BullMQ worker: `run()` starts it, `onTask` is told of every completed job. */
export function bullmqWorker(url: string, concurrency: number, call: boolean, onTask: () => void): { run(): void; close(): Promise<void> } {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const dispatcher = call ? new Agent({ connections: concurrency, keepAliveTimeout: 60_000 }) : undefined;
  const worker = new Worker(
    BULLMQ_QUEUE,
    async (job: Job<Record<string, string>>) => {
      const startedAt = Date.now();
      const data = obj(JSON.parse(job.data['data'] ?? '{}'));
      const result: Json | undefined = dispatcher ? await callOutput(dispatcher, data) : undefined;
      return completionPayload(job.data, startedAt, data, result);
    },
    { connection, concurrency, autorun: false },
  );
  worker.on('completed', onTask);
  return {
    run: () => void worker.run(),
    close: async () => {
      await worker.close();
      await dispatcher?.close();
      connection.disconnect();
    },
  };
}
