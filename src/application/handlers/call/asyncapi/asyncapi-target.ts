import { errors, WorkflowError } from '../../../../domain/workflow-error';
import { AsyncApiChannel, AsyncApiMessage, AsyncApiModel, AsyncApiOperation, AsyncApiServer } from '../../../ports/asyncapi-documents.port';
import { AsyncApiCallConfig } from './asyncapi-call-config';

/** What the call publishes to, once the document has been read. */
export interface AsyncApiTarget {
  readonly server: AsyncApiServer;
  /** `host:port` with the server variables applied. */
  readonly host: string;
  readonly address: string;
  /** The messages the payload may be (any one of them). */
  readonly messages: readonly AsyncApiMessage[];
  /** Set when a reply is awaited: the address the document fixes for it, or null (the adapter picks one). */
  readonly reply: { readonly address: string | null } | undefined;
  /** The operation's id or the channel's name, for outputs and errors. */
  readonly name: string;
}

function unknown(what: string, name: string, available: readonly string[]): WorkflowError {
  const list = available.length === 0 ? 'none' : available.join(', ');
  return errors.configuration(`asyncapi call failed: unknown ${what} '${name}' (${what}s in the document: ${list})`, { [what]: name, available: [...available] });
}

function operationOf(model: AsyncApiModel, id: string): AsyncApiOperation {
  const operation = model.operations.find((o) => o.id === id);
  if (!operation) throw unknown('operation', id, model.operations.map((o) => o.id));
  return operation;
}

function channelOf(model: AsyncApiModel, name: string): AsyncApiChannel {
  const channel = model.channels.find((c) => c.name === name) ?? model.channels.find((c) => c.address === name);
  if (!channel) throw unknown('channel', name, model.channels.map((c) => c.name));
  return channel;
}

/**
 * The server: the one named, else the first of the channel's servers (all servers when it names
 * none) that speaks `protocol` (when given) and a protocol the brokers speak.
 */
function serverOf(model: AsyncApiModel, config: AsyncApiCallConfig, channel: AsyncApiChannel, supported: readonly string[]): AsyncApiServer {
  const name = config.server?.name;
  if (name !== undefined) {
    const server = model.servers.find((s) => s.name === name);
    if (!server) throw unknown('server', name, model.servers.map((s) => s.name));
    if (config.protocol !== undefined && server.protocol !== config.protocol) {
      throw errors.configuration(`asyncapi call failed: server '${name}' speaks ${server.protocol}, not ${config.protocol}`);
    }
    return server;
  }
  const onChannel = channel.servers.length === 0 ? model.servers : model.servers.filter((s) => channel.servers.includes(s.name));
  const candidates = onChannel.filter((s) => (config.protocol === undefined || s.protocol === config.protocol) && supported.includes(s.protocol));
  const first = candidates[0];
  if (!first) {
    const listed = onChannel.map((s) => `${s.name} (${s.protocol})`).join(', ') || 'none';
    throw errors.configuration(`asyncapi call failed: no server of channel '${channel.name}' speaks ${config.protocol ?? 'a supported protocol'} (servers: ${listed}; supported protocols: ${supported.join(', ')})`);
  }
  return first;
}

/** `{name}` in the server's host from `server.variables`, else the variable's default; enums are enforced. */
export function applyServerVariables(server: AsyncApiServer, given: Readonly<Record<string, string>>): string {
  return server.host.replace(/\{([^}]+)\}/g, (_match, name: string) => {
    const declared = server.variables[name];
    const value = given[name] ?? declared?.default;
    if (value === undefined) throw errors.configuration(`asyncapi call failed: server '${server.name}' needs the variable '${name}' (server.variables)`);
    if (declared?.enum && !declared.enum.includes(value)) {
      throw errors.configuration(`asyncapi call failed: server variable '${name}' must be one of ${declared.enum.join(', ')}`);
    }
    return value;
  });
}

function addressOf(channel: AsyncApiChannel): string {
  const address = channel.address;
  if (address === null || address === '') throw errors.configuration(`asyncapi call failed: channel '${channel.name}' has no address`);
  if (/\{[^}]*\}/.test(address)) throw errors.configuration(`asyncapi call failed: channel '${channel.name}' has parameters in its address (${address}), which a call cannot fill`);
  return address;
}

/** Reads the operation (3.0) or channel (2.6), its server and messages out of the document. */
export function resolveTarget(model: AsyncApiModel, config: AsyncApiCallConfig, supported: readonly string[]): AsyncApiTarget {
  const operation = config.operation === undefined ? undefined : operationOf(model, config.operation);
  const channel = operation?.channel ?? channelOf(model, config.channel ?? '');
  const server = serverOf(model, config, channel, supported);
  const host = applyServerVariables(server, config.server?.variables ?? {});
  const messages = operation?.messages ?? channel.messages;
  const wantsReply = config.subscribe || operation?.reply !== undefined;
  return {
    server,
    host,
    address: addressOf(channel),
    messages,
    reply: wantsReply ? { address: operation?.reply?.address ?? null } : undefined,
    name: operation?.id ?? channel.name,
  };
}
