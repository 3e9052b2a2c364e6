import path from 'node:path';

/** The test `.proto` documents (greeter.proto imports common.proto); `npm run bench` runs from the repository root. */
export const BENCH_PROTO_DIR = path.resolve(process.cwd(), 'test/integration/support/grpc');

/** proto-loader options as the executor uses them. */
export const BENCH_PROTO_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [BENCH_PROTO_DIR] };
