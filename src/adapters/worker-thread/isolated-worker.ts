import { parentPort, workerData } from 'node:worker_threads';
import { JobMessage } from './isolated-thread';

/**
 * The worker side of an IsolatedThread: when this thread was started for `role`, answers each job
 * with `answer`'s reply, carrying the job's id. Does nothing elsewhere (the module may be loaded
 * on the main thread, by tests or by the compiler's checks).
 */
export function serveJobs<Request extends JobMessage, Reply extends JobMessage>(role: string, answer: (request: Request) => Reply | Promise<Reply>): void {
  const port = parentPort;
  if (!port || (workerData as { role?: string } | undefined)?.role !== role) return;
  port.on('message', (request: Request) => {
    void Promise.resolve(answer(request)).then((reply) => port.postMessage(reply));
  });
}
