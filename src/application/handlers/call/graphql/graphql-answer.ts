import { isPlainObject, JsonObject } from '../../../../domain/json';
import { ErrorKind, httpStatusError, WorkflowError } from '../../../../domain/workflow-error';
import { HttpResponse } from '../../../ports/http-client.port';
import { CallFailure } from '../call-protocol';
import { bodyText, canonicalHeaders, parseBody } from '../http-message';

/** GraphQL errors carried in `error_details.data.errors` at most (the output keeps them all). */
export const MAX_REPORTED_ERRORS = 20;
/** The first error's message is quoted in the detail up to this many characters. */
const MAX_MESSAGE_CHARS = 500;

/** What the failure names besides its code: the endpoint (redacted) and the operation. */
export interface GraphqlErrorData {
  endpoint: string;
  operation_name?: string;
}

/**
 * The kind of a GraphQL answer's errors, from the first error's `extensions.code` as the common
 * servers spell it (Apollo, GraphQL Yoga, Hot Chocolate); any other code, or none, is `runtime`:
 * the server ran the operation and a resolver failed, which is not a transport failure.
 */
export function graphqlErrorKind(errorsList: readonly unknown[]): ErrorKind {
  const first = errorsList[0];
  const extensions = isPlainObject(first) ? first['extensions'] : undefined;
  const code = isPlainObject(extensions) ? extensions['code'] : undefined;
  switch (code) {
    case 'UNAUTHENTICATED':
    case 'AUTH_NOT_AUTHENTICATED':
      return 'authentication';
    case 'FORBIDDEN':
    case 'AUTH_NOT_AUTHORIZED':
      return 'authorization';
    case 'BAD_USER_INPUT':
    case 'GRAPHQL_VALIDATION_FAILED':
    case 'GRAPHQL_PARSE_FAILED':
      return 'validation';
    default:
      return 'runtime';
  }
}

function messageOf(error: unknown): string {
  const message = isPlainObject(error) && typeof error['message'] === 'string' ? error['message'] : JSON.stringify(error);
  return message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message;
}

/** GRAPHQL_ERRORS: the answer came (2xx) and holds `errors`. Not retryable: the same operation will fail the same way. */
export function graphqlErrors(errorsList: readonly unknown[], data: GraphqlErrorData): WorkflowError {
  const more = errorsList.length > 1 ? ` (and ${errorsList.length - 1} more)` : '';
  return new WorkflowError({
    kind: graphqlErrorKind(errorsList),
    code: 'GRAPHQL_ERRORS',
    title: 'GraphQL Errors',
    detail: `GraphQL request returned errors: ${messageOf(errorsList[0])}${more}`,
    data: { ...data, errors: errorsList.slice(0, MAX_REPORTED_ERRORS) },
    retryable: false,
  });
}

/** GRAPHQL_BAD_RESPONSE: a 2xx answer that is no GraphQL response (a proxy's page, an empty body). */
export function badGraphqlResponse(detail: string, data: GraphqlErrorData): WorkflowError {
  return new WorkflowError({ kind: 'communication', code: 'GRAPHQL_BAD_RESPONSE', title: 'Bad GraphQL Response', detail, status: 502, data: { ...data }, retryable: false });
}

/**
 * The output of a GraphQL answer: `{data}` (and `extensions` when the server sent some). A non-2xx
 * answer fails as an HTTP call's does, with `{status_code, headers, data}` (the body) as the output;
 * a 2xx answer with `errors` fails with GRAPHQL_ERRORS and keeps `{data, errors, extensions}`
 * (the partial data); a 2xx answer that is not a GraphQL response fails with GRAPHQL_BAD_RESPONSE.
 */
export function graphqlOutput(response: HttpResponse, data: GraphqlErrorData, maxJsonDepth?: number): JsonObject {
  const body = parseBody(bodyText(response), maxJsonDepth);
  const raw = (): JsonObject => ({ status_code: response.status, headers: canonicalHeaders(response.headers), data: body });
  if (response.status < 200 || response.status > 299) {
    // Servers such as Apollo answer a query they refuse (parse, validation, bad variables) with 400 and `{errors}`: the failure names them.
    const refused = isPlainObject(body) && Array.isArray(body['errors']) && body['errors'].length > 0 ? body['errors'] : undefined;
    const failure = refused
      ? httpStatusError(response.status, {
          detail: `HTTP request failed with status ${response.status}: GraphQL errors: ${messageOf(refused[0])}${refused.length > 1 ? ` (and ${refused.length - 1} more)` : ''}`,
          data: { task_type: 'call', call_type: 'graphql', ...data, errors: refused.slice(0, MAX_REPORTED_ERRORS) },
        })
      : httpStatusError(response.status, { data: { task_type: 'call', call_type: 'graphql', ...data } });
    throw new CallFailure(failure, raw());
  }
  const errorsList = isPlainObject(body) ? body['errors'] : undefined;
  if (!isPlainObject(body) || (!('data' in body) && !Array.isArray(errorsList))) {
    throw new CallFailure(badGraphqlResponse('the answer is not a GraphQL response (a JSON object with data or errors)', data), raw());
  }
  if (errorsList !== undefined && errorsList !== null && !Array.isArray(errorsList)) {
    throw new CallFailure(badGraphqlResponse('the answer’s errors is not a list', data), raw());
  }
  const output: JsonObject = { data: body['data'] ?? null };
  if (body['extensions'] !== undefined) output['extensions'] = body['extensions'];
  if (Array.isArray(errorsList) && errorsList.length > 0) {
    throw new CallFailure(graphqlErrors(errorsList, data), { data: output['data'], errors: errorsList, ...(output['extensions'] === undefined ? {} : { extensions: output['extensions'] }) });
  }
  return output;
}
