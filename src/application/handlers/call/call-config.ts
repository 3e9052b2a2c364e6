import { isPlainObject, JsonObject } from '../../../domain/json';
import { errors, WorkflowError } from '../../../domain/workflow-error';
import { VALIDATE_SIDES, ValidateSides } from './openapi-checks';

export type OutputFormat = 'content' | 'response' | 'raw';

interface CommonCallConfig {
  /** `undefined`: the flunq legacy HTTP shape (`{status_code, headers, data}`). */
  output: OutputFormat | undefined;
  redirect: boolean;
  authentication: unknown;
  /** SDL `output.as` carried in the call's parameters (applied by transformOutput). */
  outputAs: unknown;
}

export interface HttpCallConfig extends CommonCallConfig {
  callType: 'http';
  method: string;
  url: string;
  headers: unknown;
  query: unknown;
  /** `undefined`: no body is sent. */
  body: unknown;
}

export interface OpenApiCallConfig extends CommonCallConfig {
  callType: 'openapi';
  documentUrl: string;
  operationId: string;
  parameters: JsonObject;
  /** `validate` (an SDL extension): which sides are checked against the document; `undefined`: CALL_VALIDATE decides. */
  validate: ValidateSides | undefined;
  /** `document.version` (an SDL extension): the `info.version` (or SHA-256) the document must be at; `undefined`: any. */
  documentVersion?: string;
}

export type CallConfig = HttpCallConfig | OpenApiCallConfig;

const OUTPUTS: readonly string[] = ['content', 'response', 'raw'];

/** Longest `document.version` accepted: versions are short, and the pin is quoted in errors. */
const MAX_PIN_LENGTH = 256;

function invalid(detail: string): WorkflowError {
  return errors.configuration(`call configuration validation failed: ${detail}`);
}

/** A URL given as a string, `{uri}`, `{url}` or `{endpoint}` (SDL endpoint objects). */
export function endpointUrl(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (isPlainObject(value)) return endpointUrl(value['uri'] ?? value['url'] ?? value['endpoint']);
  return undefined;
}

/**
 * The SDL form a `try` block or a worker may pass (`{call: "http", with: {…}}`) flattened
 * into flunq's shape; flunq's own shape is returned as is.
 */
export function flattenCallParameters(parameters: JsonObject): JsonObject {
  const withBlock = parameters['with'];
  if (!isPlainObject(withBlock)) return parameters;
  const { with: _ignored, call, ...rest } = parameters;
  const flat: JsonObject = { ...rest, ...withBlock };
  if (typeof call === 'string' && flat['call_type'] === undefined) flat['call_type'] = call;
  return flat;
}

/** Keys that are evaluated later (against the output) and must not be resolved up front. */
export function deferredKeys(parameters: JsonObject): JsonObject {
  const out: JsonObject = {};
  const output = parameters['output'];
  if (isPlainObject(output)) out['output'] = output;
  if (parameters['output_config'] !== undefined) out['output_config'] = parameters['output_config'];
  return out;
}

/** Validates the call parameters; throws a `configuration` WorkflowError with Go's texts. */
export function parseCallConfig(raw: JsonObject): CallConfig {
  if (Object.keys(raw).length === 0) throw errors.configuration('missing call configuration');
  const explicit = raw['call_type'] ?? raw['call'];
  const operationId = raw['operation_id'] ?? raw['operationId'];
  let callType: string;
  if (explicit !== undefined && explicit !== '') {
    if (typeof explicit !== 'string') throw errors.configuration('invalid call configuration: call_type must be a string');
    callType = explicit.toLowerCase();
  } else if (raw['document'] !== undefined && operationId !== undefined) callType = 'openapi';
  else if (raw['url'] !== undefined || raw['endpoint'] !== undefined) callType = 'http';
  else throw errors.configuration('unable to determine call type from configuration');

  const outputRaw = raw['output'];
  let output: OutputFormat | undefined;
  let outputAs: unknown;
  if (typeof outputRaw === 'string') {
    if (!OUTPUTS.includes(outputRaw)) throw invalid(`unsupported output format: ${outputRaw} (supported: content, response, raw)`);
    output = outputRaw as OutputFormat;
  } else if (isPlainObject(outputRaw)) {
    outputAs = outputRaw['as'];
  } else if (outputRaw !== undefined && outputRaw !== null) {
    throw invalid(`unsupported output format: ${JSON.stringify(outputRaw)} (supported: content, response, raw)`);
  }
  const redirectRaw = raw['redirect'];
  if (redirectRaw !== undefined && redirectRaw !== null && typeof redirectRaw !== 'boolean') {
    throw errors.configuration('invalid call configuration: redirect must be a boolean');
  }
  const redirect = redirectRaw === true;

  if (callType === 'http') {
    const endpoint = raw['endpoint'];
    const url = endpointUrl(raw['url']) ?? endpointUrl(endpoint);
    if (!url) throw invalid('url is required for HTTP calls');
    const method = raw['method'] === undefined || raw['method'] === null || raw['method'] === '' ? 'GET' : raw['method'];
    if (typeof method !== 'string' || !/^[A-Za-z]+$/.test(method)) throw errors.configuration(`invalid call configuration: invalid method: ${JSON.stringify(method)}`);
    const authentication = raw['authentication'] ?? (isPlainObject(endpoint) ? endpoint['authentication'] : undefined);
    return {
      callType: 'http',
      method: method.toUpperCase(),
      url,
      headers: raw['headers'],
      query: raw['query'],
      body: raw['body'] === null ? undefined : raw['body'],
      output,
      redirect,
      authentication,
      outputAs,
    };
  }
  if (callType === 'openapi') {
    const document = raw['document'];
    const documentUrl = endpointUrl(isPlainObject(document) ? (document['endpoint'] ?? document['uri'] ?? document['url']) : document);
    if (!documentUrl) throw invalid('document endpoint is required for OpenAPI calls');
    if (typeof operationId !== 'string' || operationId === '') throw invalid('operation_id is required for OpenAPI calls');
    const parameters = raw['parameters'] ?? {};
    if (!isPlainObject(parameters)) throw errors.configuration('invalid call configuration: parameters must be an object');
    const validate = raw['validate'];
    if (validate !== undefined && validate !== null && (typeof validate !== 'string' || !(VALIDATE_SIDES as readonly string[]).includes(validate))) {
      throw invalid(`unsupported validate value: ${JSON.stringify(validate)} (supported: request, response, both, none)`);
    }
    const config: OpenApiCallConfig = { callType: 'openapi', documentUrl, operationId, parameters, output, redirect, authentication: raw['authentication'], outputAs, validate: (validate ?? undefined) as ValidateSides | undefined };
    const pin = isPlainObject(document) ? document['version'] : undefined;
    if (pin !== undefined && pin !== null) {
      // YAML reads `version: 1.2` as a number.
      const valid = (typeof pin === 'string' && pin.trim() !== '' && pin.length <= MAX_PIN_LENGTH) || (typeof pin === 'number' && Number.isFinite(pin));
      if (!valid) throw invalid(`document.version must be a non-empty string of at most ${MAX_PIN_LENGTH} characters (the document's info.version, or sha256:<hex>), got ${JSON.stringify(pin).slice(0, 80)}`);
      config.documentVersion = typeof pin === 'string' ? pin.trim() : String(pin);
    }
    return config;
  }
  throw invalid(`unsupported call type: ${callType}`);
}
