import { ContainerModule } from 'inversify';
import { GrpcCallProtocol } from '../../application/handlers/call/grpc-call';
import { GrpcClient } from '../../application/ports/grpc-client.port';
import { GrpcJsClient, trustedRoots } from '../../adapters/grpc/grpc-js-client';
import { ProtoDocuments } from '../../adapters/grpc/proto-documents';
import { ProtoParseThread } from '../../adapters/grpc/proto-parse-thread';
import { permittedAddress } from '../../adapters/http/address-policy';
import { TracingGrpcClient } from '../../adapters/otel/tracing-grpc-client';
import { bindFactory } from '../binding';
import { AppConfig } from '../env';
import { CALL_PROTOCOL, CIRCUIT_BREAKER, CLOCK, GRPC_CLIENT, HTTP_CLIENT, METRICS } from '../tokens';

/** Documents held per process and channels kept open: bounds, not settings (docs/call-grpc.md). */
const MAX_PROTO_DOCUMENTS = 256;
const MAX_PROTO_FILES = 64;
const MAX_CHANNELS = 256;

/**
 * `call: grpc`: the protocol beside HTTP and OpenAPI, and the @grpc/grpc-js client it calls through
 * (`.proto` documents fetched through the HTTP client, cached like OpenAPI documents); with tracing
 * on, every call a client span carrying `traceparent` in its metadata.
 */
export function grpcModule(config: Pick<AppConfig, 'grpc' | 'http' | 'openApi' | 'limits'>, traced = false): ContainerModule {
  return new ContainerModule(({ bind }) => {
    // Documents are compiled in a thread of their own, stopped with the container.
    const parser = new ProtoParseThread();
    bindFactory(bind, GRPC_CLIENT, [HTTP_CLIENT, CLOCK], (http, clock): GrpcClient => {
      const documents = new ProtoDocuments(http, clock, {
        protoDir: config.grpc.protoDir,
        maxDocumentBytes: config.http.maxResponseBytes,
        maxProtoBytes: config.grpc.maxProtoBytes,
        requestTimeoutMs: config.openApi.requestTimeoutMs,
        cacheTtlMs: config.openApi.cacheTtlMs,
        maxDocuments: MAX_PROTO_DOCUMENTS,
        maxFiles: MAX_PROTO_FILES,
      }, parser);
      const client = new GrpcJsClient(documents, {
        ...(config.grpc.caFile === undefined ? {} : { rootCertificates: trustedRoots(config.grpc.caFile) }),
        maxResponseBytes: config.http.maxResponseBytes,
        maxMessages: config.grpc.maxMessages,
        ...(config.http.denyPrivateNetworks ? { permittedAddress } : {}),
        maxChannels: MAX_CHANNELS,
        maxChannelsPerTenant: config.grpc.maxChannelsPerTenant,
      });
      return traced ? new TracingGrpcClient(client) : client;
    }).onDeactivation(async (client) => {
      await client.close();
      await parser.close();
    });
    bindFactory(
      bind,
      CALL_PROTOCOL,
      [GRPC_CLIENT, CIRCUIT_BREAKER, CLOCK, METRICS],
      (client, breaker, clock) => new GrpcCallProtocol(client, breaker, clock, { maxJsonDepth: config.limits.maxJsonDepth }),
    );
  });
}
