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

/** Compiled (`npm run bench` builds into .tmp/bench-build) or run from source through ts-node. */
const compiled = __filename.endsWith('.js');
/** Node options for a forked bench script. */
export const SCRIPT_EXEC_ARGV: string[] = compiled ? [] : ['--require', 'ts-node/register/transpile-only'];

/** Path of a script in bench/ (`name` without extension). */
export function benchScript(name: string): string {
  return path.join(__dirname, '..', `${name}${compiled ? '.js' : '.ts'}`);
}

/** Forks bench/child (the consumer of one round); every wait is bounded by `timeoutMs`. */
export function startChild(options: ChildOptions, timeoutMs: number, execArgv: string[] = []): RunningChild {
  // `build`: the executor of another build (BENCH_BEFORE, a compiled bench of other code) in the same round.
  const script = options.build ? path.join(options.build, 'bench', 'child.js') : benchScript('child');
  const child = fork(script, [], {
    execArgv: [...SCRIPT_EXEC_ARGV, ...(process.env['BENCH_CHILD_NODE_FLAGS'] ?? '').split(' ').filter(Boolean), ...execArgv],
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
