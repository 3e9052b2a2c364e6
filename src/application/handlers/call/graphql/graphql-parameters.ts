import { isPlainObject, JsonObject } from '../../../../domain/json';
import { redactUrl } from '../../../../domain/redaction';
import { errors, WorkflowError } from '../../../../domain/workflow-error';
import { endpointUrl } from '../call-config';
import { stringHeaders } from '../http-message';

/** The parameters of `call: graphql`, checked. */
export interface GraphqlCallParameters {
  /** The server's URL (`endpoint`, or `url`; a string or an SDL endpoint object `{uri}`). */
  endpoint: string;
  query: string;
  /** Absent: no `variables` are sent. */
  variables: JsonObject | undefined;
  /** Absent: the document must hold one operation. */
  operationName: string | undefined;
  /** Extra request headers (strings, numbers and booleans; other values are ignored as for HTTP calls). */
  headers: Record<string, string>;
  /** Check the query against the server's introspected schema before sending it. */
  validate: boolean;
}

export function invalidGraphqlCall(detail: string): WorkflowError {
  return errors.configuration(`invalid GraphQL call: ${detail}`);
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** The endpoint as written (`endpoint`, else `url`), when there is one. */
export function graphqlEndpoint(parameters: JsonObject): string | undefined {
  return endpointUrl(parameters['endpoint']) ?? endpointUrl(parameters['url']);
}

/** `operationName`, or its snake-case spelling as flunq writes `operation_id`. */
function operationNameOf(parameters: JsonObject): unknown {
  return parameters['operationName'] ?? parameters['operation_name'];
}

/** Checks the parameters; throws a `configuration` WorkflowError naming the first one that is wrong. */
export function parseGraphqlParameters(parameters: JsonObject): GraphqlCallParameters {
  const endpoint = graphqlEndpoint(parameters);
  if (endpoint === undefined) throw invalidGraphqlCall('endpoint is required');
  const query = parameters['query'];
  if (typeof query !== 'string' || query.trim() === '') throw invalidGraphqlCall('query is required (a GraphQL document, as a string)');
  const variables = parameters['variables'];
  if (present(variables) && !isPlainObject(variables)) throw invalidGraphqlCall('variables must be an object');
  const operationName = operationNameOf(parameters);
  if (present(operationName) && (typeof operationName !== 'string' || operationName === '')) throw invalidGraphqlCall('operationName must be a non-empty string');
  const validate = parameters['validate'];
  if (present(validate) && typeof validate !== 'boolean') throw invalidGraphqlCall('validate must be a boolean');
  return {
    endpoint,
    query,
    variables: isPlainObject(variables) ? variables : undefined,
    operationName: typeof operationName === 'string' ? operationName : undefined,
    headers: stringHeaders(parameters['headers']),
    validate: validate === true,
  };
}

/** The call as the outcome reports it (`resolved_input`): the endpoint without credentials, the document and its arguments. */
export function describeGraphqlCall(parameters: JsonObject): JsonObject {
  const out: JsonObject = { call_type: 'graphql' };
  const endpoint = graphqlEndpoint(parameters);
  if (endpoint !== undefined) out['endpoint'] = redactUrl(endpoint);
  for (const key of ['query', 'variables', 'headers', 'validate']) if (present(parameters[key])) out[key] = parameters[key]!;
  const operationName = operationNameOf(parameters);
  if (present(operationName)) out['operationName'] = operationName!;
  return out;
}
