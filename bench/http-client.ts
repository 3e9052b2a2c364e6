/**
 * Raw HTTP client baseline: `undici.request` or `axios.get` with `concurrency` requests in
 * flight against BENCH_HTTP_URL for BENCH_HTTP_SECONDS; reports req/s and CPU per request.
 */
import http from 'node:http';
import axios from 'axios';
import { Agent, request } from 'undici';

async function main(): Promise<void> {
  const client = process.env['BENCH_HTTP_CLIENT'] ?? 'undici';
  const url = process.env['BENCH_HTTP_URL'] ?? '';
  const seconds = Number(process.env['BENCH_HTTP_SECONDS'] ?? '3');
  const concurrency = Number(process.env['BENCH_HTTP_CONCURRENCY'] ?? '50');
  const dispatcher = new Agent({ connections: concurrency, keepAliveTimeout: 60_000 });
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const instance = axios.create({ httpAgent: agent });
  const once = async (): Promise<void> => {
    if (client === 'undici') {
      const res = await request(url, { dispatcher });
      await res.body.json();
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
    } else {
      const res = await instance.get(url);
      if (res.status !== 200) throw new Error(`status ${res.status}`);
    }
  };
  // Warm up the connections first.
  await Promise.all(Array.from({ length: concurrency }, once));
  let count = 0;
  const end = performance.now() + seconds * 1000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await once();
        count++;
      }
    }),
  );
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  process.send?.({ type: 'done', result: { client, requests: count, perSecond: (count / elapsed) * 1000, cpuUsPerRequest: (cpu.user + cpu.system) / count } });
  await dispatcher.close();
  agent.destroy();
}

main().catch((error: unknown) => {
  process.stderr.write(`http client failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
