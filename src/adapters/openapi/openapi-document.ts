import { explicitParts, isFileValue, propertyParts } from '../../application/handlers/call/request-content';
import { CheckedResponse, OperationSecurity, PreparedContent, PreparedOperation, PreparedPart, SecurityRequirement, SecurityScheme, ValidatedPreparation, ValidationIssue } from '../../application/ports/openapi-document-source.port';
import { isPlainObject, JsonObject } from '../../domain/json';
import { errors, WorkflowError } from '../../domain/workflow-error';
import { SchemaValidator } from './schema-validator';
import { checkRequest, checkResponse, CheckedOperation, parameterSchema, responseDescriptions } from './operation-checks';
import { defaultStyle, formBody, Location, ParameterSpec, serializeCookie, serializeHeader, serializePath, serializeQuery } from './parameter-style';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const LOCATIONS: readonly string[] = ['path', 'query', 'header', 'cookie'];
/** Security schemes read from one document: far more than any API declares, few enough to copy with every prepared request. */
const MAX_SECURITY_SCHEMES = 256;
/** Alternatives of one security requirement read (a call applies the first it can satisfy). */
const MAX_REQUIREMENT_ALTERNATIVES = 64;
const OAUTH_FLOWS: readonly string[] = ['implicit', 'password', 'clientCredentials', 'authorizationCode'];

interface Operation {
  id: string;
  method: string;
  path: string;
  pathItem: JsonObject;
  operation: JsonObject;
}

interface Parameter extends ParameterSpec {
  required: boolean;
  schema: JsonObject | undefined;
}

function obj(value: unknown): JsonObject {
  return isPlainObject(value) ? value : {};
}

function unsupported(detail: string): WorkflowError {
  return errors.configuration(detail);
}

function missing(name: string): WorkflowError {
  return errors.validation(`required parameter '${name}' is missing`, 'PARAMETER_MISSING', { parameter: name });
}

/**
 * A parsed, dereferenced OpenAPI 3.x document (Swagger 2.0 converted), able to turn an
 * operation and caller parameters into a concrete request. Lives in the document worker.
 */
export class DereferencedOpenApiDocument {
  private readonly operations: Operation[] = [];
  /** Made on the first check: documents no call validates against never pay for it. */
  private validator: SchemaValidator | undefined;

  constructor(
    private readonly document: JsonObject,
    /** Where the document was fetched from: the base for relative server URLs. */
    private readonly documentUrl: string,
  ) {
    for (const [path, rawItem] of Object.entries(obj(document['paths']))) {
      const pathItem = obj(rawItem);
      for (const [key, operation] of Object.entries(pathItem)) {
        const method = key.toLowerCase();
        if (!(METHODS as readonly string[]).includes(method)) continue;
        if (!isPlainObject(operation)) continue;
        const id = typeof operation['operationId'] === 'string' ? operation['operationId'] : '';
        if (id !== '') this.operations.push({ id, method: method.toUpperCase(), path, pathItem, operation });
      }
    }
  }

  operationIds(): string[] {
    return this.operations.map((o) => o.id);
  }

  securitySchemeNames(): string[] {
    return Object.keys(obj(obj(this.document['components'])['securitySchemes']));
  }

  security(operationId: string): OperationSecurity {
    return this.securityOf(this.operation(operationId));
  }

  prepare(operationId: string, parameters: JsonObject): PreparedOperation {
    const op = this.operation(operationId);
    // A `#…` suffix (seen in published documents to tell operations apart) is never sent.
    let path = op.path.split('#')[0] ?? '';
    const query: string[] = [];
    const headers: Record<string, string> = {};
    const cookies: string[] = [];
    for (const param of this.parametersOf(op)) {
      const value = parameters[param.name];
      if (value === undefined || value === null) {
        if (param.required) throw missing(param.name);
        continue;
      }
      switch (param.in) {
        case 'path':
          path = path.split(`{${param.name}}`).join(serializePath(param, value));
          break;
        case 'query':
          query.push(...serializeQuery(param, value));
          break;
        case 'header':
          headers[param.name] = serializeHeader(param, value);
          break;
        case 'cookie':
          cookies.push(...serializeCookie(param, value));
          break;
      }
    }
    const unresolved = /\{([^}]+)\}/.exec(path);
    if (unresolved) throw missing(unresolved[1] ?? '');
    if (cookies.length > 0) headers['Cookie'] = cookies.join('; ');

    const base = this.serverUrl(op);
    let url = base + path;
    if (query.length > 0) url += (url.includes('?') ? '&' : '?') + query.join('&');
    const prepared: PreparedOperation = { operationId, method: op.method, url, headers, responseDescriptions: responseDescriptions(op.operation) };
    const security = this.requiredSecurity(op, base);
    if (security) prepared.security = security;
    const body = this.body(op, parameters);
    if (body && 'content' in body) prepared.content = body.content;
    else if (body) {
      prepared.body = body.text;
      headers['Content-Type'] = body.contentType;
    }
    const accept = acceptedTypes(op.operation);
    if (accept !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === 'accept')) headers['Accept'] = accept;
    return prepared;
  }

  validateRequest(operationId: string, parameters: JsonObject): ValidationIssue[] {
    return checkRequest(this.schemas(), this.checked(this.operation(operationId)), parameters);
  }

  prepareValidated(operationId: string, parameters: JsonObject): ValidatedPreparation {
    const issues = this.validateRequest(operationId, parameters);
    return issues.length > 0 ? { issues } : { issues, prepared: this.prepare(operationId, parameters) };
  }

  validateResponse(operationId: string, response: CheckedResponse): ValidationIssue[] {
    return checkResponse(this.schemas(), this.checked(this.operation(operationId)), response);
  }

  private schemas(): SchemaValidator {
    const version = this.document['openapi'];
    return (this.validator ??= new SchemaValidator(typeof version === 'string' && version.startsWith('3.1') ? 'openapi-3.1' : 'openapi-3.0'));
  }

  private checked(op: Operation): CheckedOperation {
    return { id: op.id, operation: op.operation, parameters: this.parametersOf(op) };
  }

  /** The operation with the id; document order decides between duplicated ids (Go's map order did not). */
  private operation(operationId: string): Operation {
    const op = this.operations.find((o) => o.id === operationId);
    if (op) return op;
    const ids = this.operationIds();
    const listed = ids.length > 50 ? `${ids.slice(0, 50).join(', ')}, … (${ids.length} in all)` : ids.join(', ');
    throw new WorkflowError({
      kind: 'configuration',
      code: 'OPERATION_NOT_FOUND',
      title: 'Invalid Configuration',
      detail: `operation with id '${operationId}' not found (available: ${listed || 'none'})`,
      data: { operation_id: operationId },
    });
  }

  /** Path-item parameters merged with the operation's (the operation wins on name + location). */
  private parametersOf(op: Operation): Parameter[] {
    const merged = new Map<string, Parameter>();
    const list = (value: unknown): unknown[] => (Array.isArray(value) ? (value as unknown[]) : []);
    const raw = [...list(op.pathItem['parameters']), ...list(op.operation['parameters'])];
    for (const entry of raw) {
      const p = obj(entry);
      if (typeof p['$ref'] === 'string') throw unsupported(`unresolved $ref '${p['$ref']}' in operation '${op.id}' (only references inside the document are supported)`);
      const name = p['name'];
      const location = p['in'];
      if (typeof name !== 'string' || typeof location !== 'string') continue;
      // Swagger 2.0 leftovers (body/formData) are converted to requestBody by oas-normalize.
      if (!LOCATIONS.includes(location)) continue;
      const loc = location as Location;
      const param: Parameter = {
        name,
        in: loc,
        required: loc === 'path' || p['required'] === true,
        style: typeof p['style'] === 'string' ? p['style'] : defaultStyle(loc),
        json: p['schema'] === undefined && isPlainObject(p['content']),
        schema: parameterSchema(p),
      };
      if (typeof p['explode'] === 'boolean') param.explode = p['explode'];
      merged.set(`${loc}:${name}`, param);
    }
    return [...merged.values()];
  }

  /**
   * The operation's `security` (an empty list included: it asks for nothing), else the document's;
   * and every scheme of the document. Relative OAuth2 token URLs resolve against the operation's server.
   */
  private securityOf(op: Operation): OperationSecurity {
    const declared = Object.entries(obj(obj(this.document['components'])['securitySchemes']));
    if (declared.length > MAX_SECURITY_SCHEMES) throw unsupported(`the document declares ${declared.length} security schemes; at most ${MAX_SECURITY_SCHEMES} are supported`);
    return this.securityWith(op, declared);
  }

  /**
   * What a prepared request carries: the operation's requirement with only the schemes it names,
   * and nothing when it asks for nothing. Every prepared request crosses from the worker thread, so
   * it stays small; a call that names another scheme asks for `security` itself.
   */
  private requiredSecurity(op: Operation, server: string): OperationSecurity | undefined {
    if (!Array.isArray(op.operation['security']) && !Array.isArray(this.document['security'])) return undefined;
    const requirements = this.requirementsOf(op);
    if (requirements.length === 0) return undefined;
    const declared = obj(obj(this.document['components'])['securitySchemes']);
    const named = new Set(requirements.flat().map((r) => r.scheme));
    return this.securityWith(
      op,
      [...named].filter((name) => Object.prototype.hasOwnProperty.call(declared, name)).map((name) => [name, declared[name]] as [string, unknown]),
      requirements,
      server,
    );
  }

  private requirementsOf(op: Operation): SecurityRequirement[][] {
    const own = op.operation['security'];
    const listed = Array.isArray(own) ? own : Array.isArray(this.document['security']) ? this.document['security'] : [];
    return (listed as unknown[]).slice(0, MAX_REQUIREMENT_ALTERNATIVES).filter(isPlainObject).map((requirement) =>
      Object.entries(requirement).map(([scheme, scopes]) => ({ scheme, scopes: Array.isArray(scopes) ? (scopes as unknown[]).filter((s): s is string => typeof s === 'string') : [] })),
    );
  }

  private securityWith(op: Operation, declared: [string, unknown][], requirements = this.requirementsOf(op), known?: string): OperationSecurity {
    let server = known;
    if (server === undefined) {
      try {
        server = this.serverUrl(op);
      } catch {
        // An invalid server URL fails the call when its request is prepared.
      }
    }
    const tokenBase = (): string => (server === undefined ? this.documentUrl : `${server}/`);
    const schemes: Record<string, SecurityScheme> = {};
    // Defined, not assigned: a scheme called `__proto__` is data, not the object's prototype.
    for (const [name, raw] of declared) Object.defineProperty(schemes, name, { value: securityScheme(obj(raw), tokenBase), enumerable: true, writable: true, configurable: true });
    return server === undefined ? { requirements, schemes } : { requirements, schemes, server };
  }

  /** First server of the operation, path item or document; variables take their defaults; relative URLs resolve against the document URL. */
  private serverUrl(op: Operation): string {
    const candidates = [op.operation['servers'], op.pathItem['servers'], this.document['servers']];
    const servers = candidates.find((s): s is unknown[] => Array.isArray(s) && s.length > 0) ?? [];
    const server = obj(servers[0]);
    let url = typeof server['url'] === 'string' && server['url'] !== '' ? server['url'] : '/';
    const variables = obj(server['variables']);
    url = url.replace(/\{([^}]+)\}/g, (whole, name: string) => {
      const def = obj(variables[name])['default'];
      return typeof def === 'string' || typeof def === 'number' ? String(def) : whole;
    });
    let absolute: string;
    try {
      absolute = new URL(url, this.documentUrl).toString();
    } catch {
      throw unsupported(`invalid server URL '${url}'`);
    }
    return absolute.replace(/\/+$/, '');
  }

  private body(op: Operation, parameters: JsonObject): { text: string; contentType: string } | { content: PreparedContent } | undefined {
    const requestBody = op.operation['requestBody'];
    if (!isPlainObject(requestBody)) return undefined;
    const content = obj(requestBody['content']);
    const types = Object.keys(content);
    const json = types.find((t) => /^application\/(.+\+)?json\b/i.test(t) || t === '*/*');
    const form = types.find((t) => /^application\/x-www-form-urlencoded\b/i.test(t));
    const multipart = types.find((t) => /^multipart\/form-data\b/i.test(t));
    let value = parameters['body'];
    const fieldsOf = form ?? multipart;
    if (value === undefined && fieldsOf !== undefined && json === undefined) {
      // Swagger 2.0 formData fields (and form bodies) may be given as top-level parameters.
      const properties = Object.keys(obj(obj(obj(content[fieldsOf])['schema'])['properties']));
      const fields: JsonObject = {};
      for (const name of properties) if (parameters[name] !== undefined && parameters[name] !== null) fields[name] = parameters[name];
      if (Object.keys(fields).length > 0) value = fields;
    }
    if (value === undefined || value === null) {
      if (requestBody['required'] === true) throw missing('body');
      return undefined;
    }
    if (json !== undefined) return { text: JSON.stringify(value), contentType: json === '*/*' ? 'application/json' : json };
    if (form !== undefined && (multipart === undefined || !hasFiles(obj(content[multipart]), value))) return { text: formBody(value), contentType: form };
    if (multipart !== undefined && isPlainObject(value)) return { content: { kind: 'multipart', parts: multipartParts(obj(content[multipart]), value) } };
    const textual = types.find((t) => /^text\/|xml/i.test(t));
    if (textual !== undefined && typeof value === 'string') return { text: value, contentType: textual };
    // Any other media type (application/octet-stream, image/png, application/pdf, …) takes a file.
    const binary = types.find((t) => !/^multipart\//i.test(t));
    if (binary !== undefined && (isFileValue(value) || typeof value === 'string')) return { content: { kind: 'binary', contentType: binary.includes('*') ? 'application/octet-stream' : binary, value } };
    throw unsupported(
      `operation '${op.id}' takes a request body as ${types.join(', ') || 'an undeclared media type'}; supported: JSON, application/x-www-form-urlencoded, multipart/form-data (an object), text/XML given as a string, and other media types given a file {base64 | url, content_type?}`,
    );
  }
}

function isBinarySchema(schema: JsonObject): boolean {
  return schema['format'] === 'binary' || (schema['type'] === 'string' && typeof schema['contentMediaType'] === 'string' && schema['contentEncoding'] === undefined);
}

/** Whether a form property is a file: a `format: binary` string (3.0), a string with a `contentMediaType` (3.1), or an array of them. */
function isFileProperty(schema: JsonObject): boolean {
  return isBinarySchema(schema) || (schema['type'] === 'array' && isBinarySchema(obj(schema['items'])));
}

/** Whether a form body carries a file: then it goes as multipart even where a urlencoded form is also declared. */
function hasFiles(media: JsonObject, value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  const properties = obj(obj(media['schema'])['properties']);
  return Object.entries(value).some(([name, v]) => isFileValue(v) || (Array.isArray(v) && v.some(isFileValue)) || (v !== null && v !== undefined && isFileProperty(obj(properties[name]))));
}

/**
 * The parts of a multipart body: `{fields, files}` as given, or, per the schema, each property a
 * part: properties with `format: binary` (or a `contentMediaType`) and file values are file parts,
 * the others fields; `encoding.<name>.contentType` sets a part's Content-Type.
 */
function multipartParts(media: JsonObject, value: unknown): PreparedPart[] {
  if (!isPlainObject(value)) throw errors.configuration('invalid request body: a multipart/form-data body is an object (its properties, or {fields, files})');
  const properties = obj(obj(media['schema'])['properties']);
  const keys = Object.keys(value);
  if (keys.length > 0 && keys.every((k) => (k === 'fields' || k === 'files') && properties[k] === undefined)) return explicitParts(value);
  const encoding = obj(media['encoding']);
  const parts: PreparedPart[] = [];
  for (const [name, v] of Object.entries(value)) {
    const declared = obj(encoding[name])['contentType'];
    const contentType = typeof declared === 'string' && declared !== '' && !declared.includes('*') ? (declared.split(',')[0] ?? '').trim() : undefined;
    const file = isFileProperty(obj(properties[name])) || isFileValue(v) || (Array.isArray(v) && v.length > 0 && v.every(isFileValue));
    propertyParts(name, v, file, contentType, parts);
  }
  return parts;
}

/**
 * The `Accept` an operation's success responses call for: their media types (2xx, else
 * `default`), JSON ones first, in document order; undefined when they declare none.
 */
export function acceptedTypes(operation: JsonObject): string | undefined {
  const responses = obj(operation['responses']);
  const success = Object.keys(responses).filter((status) => /^2(\d\d|XX)$/i.test(status));
  const statuses = success.length > 0 ? success : Object.keys(responses).filter((status) => status === 'default');
  const types: string[] = [];
  for (const status of statuses) {
    for (const type of Object.keys(obj(obj(responses[status])['content']))) if (!types.includes(type) && !/[\r\n,]/.test(type)) types.push(type);
  }
  if (types.length === 0) return undefined;
  const json = (t: string): boolean => /^application\/(.+\+)?json\b/i.test(t);
  return [...types.filter(json), ...types.filter((t) => !json(t))].join(', ');
}

/** A scheme as the executor applies it; `tokenBase` is asked only for a relative client-credentials token URL. */
function securityScheme(raw: JsonObject, tokenBase: () => string): SecurityScheme {
  const type = typeof raw['type'] === 'string' ? raw['type'] : '';
  const scheme: SecurityScheme = { type };
  if (type === 'http' && typeof raw['scheme'] === 'string') scheme.scheme = raw['scheme'].toLowerCase();
  if (type === 'apiKey') {
    if (typeof raw['name'] === 'string') scheme.name = raw['name'];
    if (typeof raw['in'] === 'string') scheme.in = raw['in'];
  }
  if (type === 'oauth2') {
    const flows = obj(raw['flows']);
    // The four flows OpenAPI defines; anything else a document writes there is no flow.
    scheme.flows = Object.keys(flows).filter((flow) => OAUTH_FLOWS.includes(flow));
    const tokenUrl = obj(flows['clientCredentials'])['tokenUrl'];
    if (typeof tokenUrl === 'string' && tokenUrl.trim() !== '') {
      try {
        scheme.tokenUrl = new URL(tokenUrl.trim(), /^[a-z][a-z0-9+.-]*:/i.test(tokenUrl.trim()) ? undefined : tokenBase()).toString();
      } catch {
        // Left out: the call reports a client-credentials flow without a usable token URL.
      }
    }
  }
  return scheme;
}
