import { PassThrough } from 'node:stream';
import { WinstonLogger } from '../../src/adapters/observability/winston-logger';

export { freePort } from './redis-server';

/** A WinstonLogger writing to memory; `text()` is everything logged so far. */
export function capturedLogger(level = 'debug'): { logger: WinstonLogger; text: () => string } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  return { logger: WinstonLogger.create(level, stream), text: () => chunks.join('') };
}

/** The value of one sample line (`name{labels} value`) of a Prometheus exposition. */
export function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

export async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export function postJson(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  return getJson(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Polls `check` every 50 ms until it returns true or `timeoutMs` passes (real processes only). */
export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
