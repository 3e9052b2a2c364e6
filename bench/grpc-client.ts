/**
 * Raw gRPC client baseline: a grpc-js client of flunq.test.Greeter (loaded once with proto-loader)
 * with `concurrency` unary calls in flight against BENCH_GRPC_TARGET for BENCH_GRPC_SECONDS;
 * reports calls/s and CPU per call.
 */
import path from 'node:path';
import { credentials, loadPackageDefinition, ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { BENCH_PROTO_DIR, BENCH_PROTO_OPTIONS } from './lib/grpc-proto';

interface Greeter {
  SayHello(request: unknown, callback: (error: Error | null, reply: { message: string }) => void): void;
  close(): void;
}

async function main(): Promise<void> {
  const target = process.env['BENCH_GRPC_TARGET'] ?? '';
  const seconds = Number(process.env['BENCH_GRPC_SECONDS'] ?? '3');
  const concurrency = Number(process.env['BENCH_GRPC_CONCURRENCY'] ?? '50');
  const loaded = loadPackageDefinition(loadSync(path.join(BENCH_PROTO_DIR, 'greeter.proto'), BENCH_PROTO_OPTIONS)) as unknown as { flunq: { test: { Greeter: ServiceClientConstructor } } };
  const client = new loaded.flunq.test.Greeter(target, credentials.createInsecure()) as unknown as Greeter;
  const once = (): Promise<void> =>
    new Promise((resolve, reject) =>
      client.SayHello({ person: { name: 'Ada', id: 42 } }, (error, reply) => {
        if (error) return reject(error);
        if (!reply.message) return reject(new Error('empty reply'));
        resolve();
      }),
    );
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
  process.send?.({ type: 'done', result: { requests: count, perSecond: (count / elapsed) * 1000, cpuUsPerRequest: (cpu.user + cpu.system) / count } });
  client.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`grpc client failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
