import { ContainerModule } from 'inversify';
import { AsyncApiCallProtocol } from '../../application/handlers/call/asyncapi/asyncapi-protocol';
import { AjvPayloadValidator } from '../../adapters/asyncapi/ajv-payload-validator';
import { DEFAULT_ASYNCAPI_DOCUMENT_SETTINGS, ParserAsyncApiDocuments } from '../../adapters/asyncapi/asyncapi-document-source';
import { AsyncApiParseThread } from '../../adapters/asyncapi/asyncapi-parse-thread';
import { isDeniedAddress } from '../../adapters/http/address-policy';
import { amqpConnector } from '../../adapters/messaging/amqp-connection';
import { BrokerClients, DEFAULT_BROKER_CLIENT_SETTINGS } from '../../adapters/messaging/broker-clients';
import { mqttConnector } from '../../adapters/messaging/mqtt-connection';
import { natsConnector } from '../../adapters/messaging/nats-connection';
import { re2RegExpEngine } from '../../adapters/re2/re2-regexp-engine';
import { DEFAULT_PATTERN_MATCHER_OPTIONS } from '../../adapters/re2/re2js-pattern-matcher';
import { TracingMessageBrokers } from '../../adapters/otel/tracing-message-brokers';
import { MessageBrokers } from '../../application/ports/message-brokers.port';
import { bindFactory } from '../binding';
import { AsyncApiSettings, HttpSettings } from '../env';
import { ASYNCAPI_DOCUMENTS, CALL_PROTOCOL, CIRCUIT_BREAKER, CLOCK, HTTP_CLIENT, MESSAGE_BROKERS, METRICS, PAYLOAD_VALIDATOR } from '../tokens';

/**
 * Message schemas from untrusted documents are checked on the event loop: their patterns run on
 * RE2, within the same bounds as the patterns of catch filters.
 */
export function asyncApiPayloadValidator(): AjvPayloadValidator {
  const { maxPatternLength, maxProgramSize, maxSearchCost } = DEFAULT_PATTERN_MATCHER_OPTIONS;
  return new AjvPayloadValidator(re2RegExpEngine({ maxPatternLength, maxProgramSize, maxSearchCost }));
}

/**
 * `call: asyncapi` (docs/call-asyncapi.md): documents fetched through the HTTP client and parsed with
 * @asyncapi/parser, messages validated with ajv, published over amqplib, mqtt or nats. The brokers
 * see the same outbound address policy as HTTP calls (CALL_DENY_PRIVATE_NETWORKS); with tracing on,
 * every publish and request is a span carrying `traceparent` in the message headers.
 */
export function asyncApiModule(http: Pick<HttpSettings, 'maxResponseBytes' | 'denyPrivateNetworks'>, maxJsonDepth: number, asyncApi: AsyncApiSettings, traced = false): ContainerModule {
  // Documents are parsed in a thread of their own, stopped with the container.
  const parser = new AsyncApiParseThread();
  return new ContainerModule(({ bind }) => {
    bindFactory(
      bind,
      ASYNCAPI_DOCUMENTS,
      [HTTP_CLIENT, CLOCK],
      (client, clock) => new ParserAsyncApiDocuments(client, clock, { ...DEFAULT_ASYNCAPI_DOCUMENT_SETTINGS, maxDocumentBytes: http.maxResponseBytes }, parser),
    ).onDeactivation(() => parser.close());
    bindFactory(
      bind,
      MESSAGE_BROKERS,
      [METRICS],
      (metrics): MessageBrokers => {
        const settings = {
          ...DEFAULT_BROKER_CLIENT_SETTINGS,
          maxConnectionsPerTenant: asyncApi.maxConnectionsPerTenant,
          isDenied: isDeniedAddress,
          denyPrivateNetworks: http.denyPrivateNetworks,
          reply: { maxBytes: http.maxResponseBytes, maxJsonDepth },
        };
        const clients = new BrokerClients([amqpConnector, mqttConnector, natsConnector], settings, metrics);
        return traced ? new TracingMessageBrokers(clients) : clients;
      },
    ).onDeactivation((brokers) => brokers.close());
    bindFactory(bind, PAYLOAD_VALIDATOR, [], asyncApiPayloadValidator);
    bindFactory(
      bind,
      CALL_PROTOCOL,
      [ASYNCAPI_DOCUMENTS, MESSAGE_BROKERS, PAYLOAD_VALIDATOR, CIRCUIT_BREAKER, CLOCK],
      (documents, brokers, validator, breaker, clock) => new AsyncApiCallProtocol(documents, brokers, validator, breaker, clock),
    );
  });
}
