import type { AsyncAPIDocumentInterface, ChannelInterface, MessageInterface, OperationInterface, ServerInterface } from '@asyncapi/parser';
import { JsonObject } from '../../domain/json';
import { AsyncApiChannel, AsyncApiMessage, AsyncApiModel, AsyncApiOperation, AsyncApiServer } from '../../application/ports/asyncapi-documents.port';

/** The parser's own annotations (`x-parser-schema-id`, …): noise in a schema handed to a validator. */
function withoutParserKeys(value: unknown, seen = new WeakMap<object, unknown>()): unknown {
  if (Array.isArray(value)) return value.map((v) => withoutParserKeys(v, seen));
  if (value === null || typeof value !== 'object') return value;
  const known = seen.get(value);
  if (known) return known;
  const out: JsonObject = {};
  seen.set(value, out);
  for (const [key, v] of Object.entries(value)) if (!key.startsWith('x-parser-')) out[key] = withoutParserKeys(v, seen);
  return out;
}

function schemaOf(schema: { json(): unknown } | undefined): JsonObject | undefined {
  if (!schema) return undefined;
  const json = withoutParserKeys(schema.json());
  return json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as JsonObject) : undefined;
}

function messageOf(message: MessageInterface): AsyncApiMessage {
  const payload = schemaOf(message.hasPayload() ? message.payload() : undefined);
  const headers = schemaOf(message.hasHeaders() ? message.headers() : undefined);
  return { name: message.id(), ...(payload ? { payload } : {}), ...(headers ? { headers } : {}) };
}

function serverOf(server: ServerInterface): AsyncApiServer {
  const variables: Record<string, { default?: string; enum?: string[] }> = {};
  for (const variable of server.variables().all()) {
    const value: { default?: string; enum?: string[] } = {};
    if (variable.hasDefaultValue()) value.default = String(variable.defaultValue());
    if (variable.hasAllowedValues()) value.enum = variable.allowedValues().map(String);
    variables[variable.id()] = value;
  }
  return { name: server.id(), protocol: server.protocol().toLowerCase(), host: server.host(), variables };
}

function channelOf(channel: ChannelInterface): AsyncApiChannel {
  return {
    name: channel.id(),
    address: channel.address() ?? null,
    messages: channel.messages().all().map(messageOf),
    servers: channel.servers().all().map((s) => s.id()),
  };
}

function operationOf(operation: OperationInterface, channels: ReadonlyMap<string, AsyncApiChannel>): AsyncApiOperation | undefined {
  const first = operation.channels().all()[0];
  const channel = first ? channels.get(first.id()) : undefined;
  if (!channel) return undefined;
  const messages = operation.messages().all().map(messageOf);
  const reply = operation.reply();
  const replyAddress = reply ? (reply.channel()?.address() ?? null) : undefined;
  return {
    id: operation.id() ?? '',
    action: operation.action(),
    channel,
    messages: messages.length > 0 ? messages : channel.messages,
    ...(replyAddress === undefined ? {} : { reply: { address: replyAddress } }),
  };
}

/** The parser's model (2.x or 3.0, behind one interface) as the plain model calls use. */
export function toAsyncApiModel(document: AsyncAPIDocumentInterface): AsyncApiModel {
  const channels = new Map(
    document
      .channels()
      .all()
      .map((c) => [c.id(), channelOf(c)] as const),
  );
  const operations = document
    .operations()
    .all()
    .map((o) => operationOf(o, channels))
    .filter((o): o is AsyncApiOperation => o !== undefined && o.id !== '');
  return { version: document.version(), servers: document.servers().all().map(serverOf), channels: [...channels.values()], operations };
}
