import { fork } from 'node:child_process';
import path from 'node:path';
import type { ChildOptions, ChildResult } from '../child';

export interface RunningChild {
  ready: Promise<void>;
  go(): void;
  stop(): void;
  done: Promise<ChildResult>;
  exited: Promise<number | null>;
  kill(): void;
}

/** Forks bench/child.ts (ts-node, transpile only); every wait is bounded by `timeoutMs`. */
export function startChild(options: ChildOptions, timeoutMs: number, execArgv: string[] = []): RunningChild {
  const child = fork(path.join(__dirname, '..', 'child.ts'), [], {
    execArgv: ['--require', 'ts-node/register/transpile-only', ...execArgv],
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true', BENCH_CHILD: JSON.stringify(options) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let readyResolve: () => void = () => undefined;
  let doneResolve: (r: ChildResult) => void = () => undefined;
  let fail: (e: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    readyResolve = resolve;
    fail = reject;
  });
  const done = new Promise<ChildResult>((resolve, reject) => {
    doneResolve = resolve;
    const previous = fail;
    fail = (e) => {
      previous(e);
      reject(e);
    };
  });
  // Both promises may reject without anyone waiting on one of them yet.
  ready.catch(() => undefined);
  done.catch(() => undefined);
  const timer = setTimeout(() => {
    fail(new Error(`${options.mode} child timed out after ${timeoutMs} ms`));
    child.kill('SIGKILL');
  }, timeoutMs);
  child.on('message', (m: { type: string; result?: ChildResult }) => {
    if (m.type === 'ready') readyResolve();
    if (m.type === 'done' && m.result) doneResolve(m.result);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`${options.mode} child exited with ${code} before finishing`));
      resolve(code);
    }),
  );
  return {
    ready,
    done,
    exited,
    go: () => child.send({ type: 'go' }),
    stop: () => child.connected && child.send({ type: 'stop' }),
    kill: () => child.kill('SIGKILL'),
  };
}
