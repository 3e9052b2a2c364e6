import { isPlainObject, JsonObject } from '../../../domain/json';
import { errors, WorkflowError } from '../../../domain/workflow-error';
import { GrpcTarget } from '../../ports/grpc-client.port';

/** A `call: grpc` task's parameters, validated (SDL 1.0 shape: `with.proto`, `with.service`, `with.method`, `with.arguments`). */
export interface GrpcCallConfig {
  /** The `.proto` document: an http(s) URL or a file path (`file://` removed). */
  proto: string;
  service: string;
  method: string;
  target: GrpcTarget;
  arguments: JsonObject;
  /** Extra request metadata (`with.metadata`), names in lower case. */
  metadata: Record<string, string>;
}

function invalid(detail: string): WorkflowError {
  return errors.configuration(`grpc call: ${detail}`);
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/** `endpoint` as a string or `{uri}`; an endpoint with its own authentication is refused. */
function protoLocation(proto: unknown): string {
  if (!isPlainObject(proto)) throw invalid('with.proto.endpoint is required');
  const endpoint = proto['endpoint'];
  let uri: unknown = endpoint;
  if (isPlainObject(endpoint)) {
    if (endpoint['authentication'] !== undefined && endpoint['authentication'] !== null) throw invalid('authentication of the proto document endpoint is not supported');
    uri = endpoint['uri'];
  }
  if (!nonEmpty(uri)) throw invalid('with.proto.endpoint is required');
  const text = uri.trim();
  if (/^file:/i.test(text)) {
    try {
      return decodeURIComponent(new URL(text).pathname);
    } catch {
      throw invalid(`with.proto.endpoint is not a valid file URL: ${text}`);
    }
  }
  return text;
}

/** A metadata name gRPC allows in text form: lower-case token, not reserved (`grpc-`), not binary (`-bin`). */
const METADATA_NAME = /^[0-9a-z_.-]+$/;

function metadataOf(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw invalid('with.metadata must be an object of strings');
  const out: Record<string, string> = {};
  for (const [rawName, rawValue] of Object.entries(value)) {
    const name = rawName.toLowerCase();
    if (!METADATA_NAME.test(name) || name.startsWith('grpc-') || name.endsWith('-bin') || name.startsWith(':')) throw invalid(`metadata name not allowed: ${rawName}`);
    if (typeof rawValue !== 'string' && typeof rawValue !== 'number' && typeof rawValue !== 'boolean') throw invalid(`metadata ${rawName} must be a string`);
    const text = String(rawValue);
    if (/[^\x20-\x7e]/.test(text)) throw invalid(`metadata ${rawName} must be printable ASCII`);
    out[name] = text;
  }
  return out;
}

function targetOf(service: JsonObject): GrpcTarget {
  const host = service['host'];
  // A name or an IP address (IPv6 with or without brackets, a zone allowed): nothing a channel could read as a scheme or a path.
  if (!nonEmpty(host) || !/^(\[[0-9A-Fa-f:.]+(%[\w.-]+)?\]|[0-9A-Fa-f:.]+(%[\w.-]+)?|[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?)$/.test(host.trim())) {
    throw invalid('with.service.host must be a host name or address');
  }
  const port = service['port'];
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) throw invalid('with.service.port must be an integer from 1 to 65535');
  const tls = service['tls'];
  if (tls !== undefined && tls !== null && typeof tls !== 'boolean') throw invalid('with.service.tls must be true or false');
  return { host: host.trim().replace(/^\[(.*)\]$/, '$1'), port, tls: tls === true || ((tls === undefined || tls === null) && port === 443) };
}

function given(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/**
 * The task's authentication: `with.service.authentication`, where DSL 1.0 places the service's, or
 * `with.authentication`, as other calls give it; both at once are refused.
 */
export function grpcAuthentication(parameters: JsonObject): unknown {
  const top = parameters['authentication'];
  const service = parameters['service'];
  const inService = isPlainObject(service) ? service['authentication'] : undefined;
  if (given(top) && given(inService)) throw invalid('with.authentication and with.service.authentication are both given: give one of them');
  return given(inService) ? inService : top;
}

/** Validates the flattened, resolved parameters of a `call: grpc` task. */
export function parseGrpcCall(parameters: JsonObject): GrpcCallConfig {
  const proto = protoLocation(parameters['proto']);
  const service = parameters['service'];
  if (!isPlainObject(service)) throw invalid('with.service is required (name, host, port)');
  if (!nonEmpty(service['name'])) throw invalid('with.service.name is required');
  const method = parameters['method'];
  if (!nonEmpty(method)) throw invalid('with.method is required');
  const args = parameters['arguments'];
  if (args !== undefined && args !== null && !isPlainObject(args)) throw invalid('with.arguments must be an object');
  return {
    proto,
    service: service['name'].trim(),
    method: method.trim(),
    target: targetOf(service),
    arguments: isPlainObject(args) ? args : {},
    metadata: metadataOf(parameters['metadata']),
  };
}
