import { ContainerModule } from 'inversify';
import { GraphqlJsDocuments } from '../../adapters/graphql/graphql-js-documents';
import { GraphqlCallProtocol } from '../../application/handlers/call/graphql/graphql-call';
import { bindFactory } from '../binding';
import { AppConfig } from '../env';
import { CALL_PROTOCOL, CIRCUIT_BREAKER, CLOCK, GRAPHQL_DOCUMENTS, HTTP_CLIENT } from '../tokens';

/**
 * `call: graphql`: the protocol (application) sends through the HttpClient port and the circuit
 * breaker like HTTP calls; graphql-js (adapter) parses the documents and validates them in a worker thread.
 */
export function graphqlModule(settings: Pick<AppConfig, 'call' | 'limits'>): ContainerModule {
  return new ContainerModule(({ bind }) => {
    // Schemas are built and queries validated in a thread of their own, stopped with the container.
    const documents = new GraphqlJsDocuments();
    bindFactory(bind, GRAPHQL_DOCUMENTS, [], () => documents).onDeactivation(() => documents.close());
    bindFactory(
      bind,
      CALL_PROTOCOL,
      [HTTP_CLIENT, CIRCUIT_BREAKER, GRAPHQL_DOCUMENTS, CLOCK],
      (http, breaker, documents, clock) =>
        new GraphqlCallProtocol(http, breaker, documents, clock, { idempotencyKeys: settings.call.idempotencyKeys, maxJsonDepth: settings.limits.maxJsonDepth }),
    );
  });
}
