/**
 * The adapter's Lua scripts, one file each in `scripts/` (next to this module, in `src/` and in the
 * build output), read once per process and defined as ioredis commands on a connection.
 *
 * Owns no mutable state beyond the cache of the files read. The typed command interfaces below are
 * the only place where ioredis's untyped `defineCommand` methods are given a signature.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RedisClient } from './redis-connection';
import { PipelineReplies } from './replies';

/** Command name → script file and, for scripts with a fixed number of keys, that number. */
const SCRIPTS = {
  flunqSettle: { file: 'settle.lua' },
  flunqCreateGroup: { file: 'create-group.lua', numberOfKeys: 2 },
  flunqKeepAlive: { file: 'keep-alive.lua' },
  flunqClaim: { file: 'claim.lua' },
  flunqReleaseAck: { file: 'release-ack.lua' },
  flunqGroupInfo: { file: 'group-info.lua', numberOfKeys: 1 },
  flunqRefreshDocument: { file: 'refresh-document.lua', numberOfKeys: 1 },
  flunqRateLimit: { file: 'rate-limit.lua', numberOfKeys: 1 },
} as const;

export type ScriptName = keyof typeof SCRIPTS;

/** Where the scripts are: `scripts/` beside this module (`npm run build` copies them into `dist/`). */
export const SCRIPTS_DIR = path.join(__dirname, 'scripts');

const cache = new Map<string, Record<ScriptName, string>>();

/** The source of every script in `dir`; throws, naming the missing file, when one cannot be read. */
export function loadScripts(dir: string = SCRIPTS_DIR): Readonly<Record<ScriptName, string>> {
  const cached = cache.get(dir);
  if (cached) return cached;
  const out = {} as Record<ScriptName, string>;
  for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
    const file = path.join(dir, SCRIPTS[name].file);
    try {
      out[name] = readFileSync(file, 'utf8');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`cannot read the Redis script ${file} (a build must copy src/adapters/redis/scripts; \`npm run build\` does): ${reason}`);
    }
  }
  cache.set(dir, out);
  return out;
}

/** The scripts as commands (numbers of keys first where the script takes any number of keys). */
export interface FlunqCommands {
  flunqSettle(numKeys: number, keys: string[], args: (string | number)[]): Promise<number>;
  flunqCreateGroup(stream: string, historyKey: string, group: string): Promise<unknown>;
  flunqKeepAlive(numKeys: number, ...args: (string | number)[]): Promise<number>;
  flunqClaim(numKeys: number, ...args: (string | number)[]): Promise<number[]>;
  flunqReleaseAck(numKeys: number, ...args: string[]): Promise<number>;
  flunqGroupInfo(stream: string): Promise<unknown>;
  flunqRefreshDocument(key: string, sha256: string, meta: string, ttlMs: number): Promise<number>;
}

/** The scripts on an explicit pipeline (`pipeline()` of a connection with the scripts defined). */
export interface FlunqPipeline {
  flunqSettle(numKeys: number, keys: string[], args: (string | number)[]): FlunqPipeline;
  flunqCreateGroup(stream: string, historyKey: string, group: string): FlunqPipeline;
  flunqClaim(...args: (string | number)[]): FlunqPipeline;
  flunqGroupInfo(stream: string): FlunqPipeline;
  exec(): Promise<PipelineReplies>;
}

export type ScriptedRedis = RedisClient & FlunqCommands;

/** Defines every script on `redis` (ioredis sends EVALSHA, and the source once when Redis lacks it). */
export function defineScripts(redis: RedisClient, scripts: Readonly<Record<ScriptName, string>> = loadScripts()): ScriptedRedis {
  for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
    const spec: { file: string; numberOfKeys?: number } = SCRIPTS[name];
    redis.defineCommand(name, spec.numberOfKeys === undefined ? { lua: scripts[name] } : { numberOfKeys: spec.numberOfKeys, lua: scripts[name] });
  }
  return redis as ScriptedRedis;
}

/** An explicit pipeline with the scripts (written at once, not at the end of the macrotask like auto-pipelining). */
export function scriptedPipeline(redis: ScriptedRedis): FlunqPipeline {
  return redis.pipeline() as unknown as FlunqPipeline;
}
