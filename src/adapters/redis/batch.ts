/**
 * Commands over many streams in one go. On a single Redis: one explicit pipeline (one round trip).
 * On a Redis Cluster: each command sent on its own, so that each is routed to its slot's primary
 * and redirected alone during a failover or a slot migration (a pipeline fails as a whole when a
 * redirection hits part of it); commands of one key still run in the order given, one after the
 * other, and different keys concurrently.
 *
 * Owns no state.
 */
import { scriptedPipeline, ScriptedRedis } from './lua-scripts';
import { PipelineReplies } from './replies';

/** The commands a batch uses, as both a pipeline and a client offer them (the result is not used). */
export interface BatchTarget {
  call(command: string, ...args: (string | number)[]): unknown;
  xrange(key: string, start: string, end: string, countToken: 'COUNT', count: number): unknown;
  set(key: string, value: string, ...expiry: (string | number)[]): unknown;
  del(key: string): unknown;
  flunqCreateGroup(stream: string, historyKey: string, group: string): unknown;
  flunqGroupInfo(stream: string): unknown;
}

export interface BatchCommand {
  /** The key the command is routed by (on a cluster). */
  key: string;
  send(target: BatchTarget): unknown;
}

/** Runs the commands; one `[error, reply]` per command, in order, like a pipeline's exec(). */
export async function execBatch(redis: ScriptedRedis, cluster: boolean, commands: readonly BatchCommand[]): Promise<PipelineReplies> {
  if (commands.length === 0) return [];
  if (!cluster) {
    const pipeline = scriptedPipeline(redis) as unknown as BatchTarget & { exec(): Promise<PipelineReplies> };
    for (const c of commands) c.send(pipeline);
    return pipeline.exec();
  }
  const target = redis as unknown as BatchTarget;
  const replies: [Error | null, unknown][] = new Array<[Error | null, unknown]>(commands.length);
  const byKey = new Map<string, number[]>();
  commands.forEach((c, i) => {
    const list = byKey.get(c.key);
    if (list) list.push(i);
    else byKey.set(c.key, [i]);
  });
  await Promise.all(
    [...byKey.values()].map(async (indexes) => {
      for (const i of indexes) {
        try {
          replies[i] = [null, await (commands[i] as BatchCommand).send(target)];
        } catch (error) {
          replies[i] = [error instanceof Error ? error : new Error(String(error)), null];
        }
      }
    }),
  );
  return replies;
}
