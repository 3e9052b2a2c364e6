/**
 * The gRPC server of the grpc goal: flunq.test.Greeter/SayHello from the test greeter.proto on
 * 127.0.0.1 (a free port, sent to the parent), answering every call at once.
 */
import path from 'node:path';
import { Server, ServerCredentials, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { BENCH_PROTO_DIR, BENCH_PROTO_OPTIONS } from './lib/grpc-proto';

const definition = loadSync(path.join(BENCH_PROTO_DIR, 'greeter.proto'), BENCH_PROTO_OPTIONS);
const server = new Server();
const implementation: UntypedServiceImplementation = {
  SayHello: (call: { request: { person?: { name?: string; id?: string } } }, callback: (error: null, reply: unknown) => void) =>
    callback(null, { message: `Hello, ${call.request.person?.name ?? ''}`, id: call.request.person?.id ?? '0', mood: 'HAPPY' }),
};
server.addService(definition['flunq.test.Greeter'] as ServiceDefinition, implementation);
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  process.send?.({ type: 'ready', port });
});
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
