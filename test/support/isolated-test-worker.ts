/**
 * A worker for IsolatedThread's tests: echoes `text`, ends its thread on `exit`, holds its thread
 * for ever on `spin`.
 */
import { serveJobs } from '../../src/adapters/worker-thread/isolated-worker';

export const ISOLATED_TEST_ROLE = 'flunq-isolated-test';

export interface TestRequest {
  id: number;
  text?: string;
  exit?: number;
  spin?: true;
}

export interface TestReply {
  id: number;
  echo: string;
}

serveJobs<TestRequest, TestReply>(ISOLATED_TEST_ROLE, (request) => {
  if (request.exit !== undefined) process.exit(request.exit);
  while (request.spin) {
    // held until the thread is stopped
  }
  return { id: request.id, echo: request.text ?? '' };
});
