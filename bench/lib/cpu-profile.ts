import fs from 'node:fs';
import inspector from 'node:inspector';
import { table } from './stats';

/**
 * The V8 CPU profiler (the format `node --cpu-prof` writes), started and stopped through
 * node:inspector so that a profile covers one workload and not the process start-up.
 */
export async function startCpuProfile(intervalUs = 100): Promise<{ stop(file: string): Promise<void> }> {
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: intervalUs });
  await post('Profiler.start');
  return {
    stop: async (file) => {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      fs.writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function and per area (src file / library / GC / idle), from a .cpuprofile. */
export function summarizeCpuProfile(file: string, tasks: number): string {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const rel = url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '').replace(/^\.tmp\/bench-build\//, '');
    const area = functionName === '(idle)' || functionName === '(program)' || functionName === '(garbage collector)' ? functionName : rel.startsWith('src/') ? rel : rel.startsWith('node_modules/') ? `node_modules/${rel.split('/')[1] ?? ''}` : rel === '' ? '(native/builtin)' : rel.startsWith('node:') ? 'node internals' : rel;
    if (functionName !== '(idle)') total += us;
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    const key = `${functionName || '(anonymous)'} ${rel ? `${rel}:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  }
  const top = (m: Map<string, number>, n: number): string[][] =>
    [...m.entries()]
      .filter(([k]) => !k.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => [(us / tasks).toFixed(2), ((us / total) * 100).toFixed(1), k]);
  return (
    `\nCPU by area (self time, µs per task; total ${(total / tasks).toFixed(1)} µs/task sampled):\n${table(['µs/task', '%', 'area'], top(byArea, 20))}\n` +
    `\nTop functions (self time):\n${table(['µs/task', '%', 'function'], top(byFunction, 30))}\n`
  );
}

