/**
 * The worker thread that builds GraphQL schemas from introspection answers and validates queries
 * against them (see GraphqlValidationThread): validation costs grow faster than a query's size, so
 * it never runs on the event loop. Schemas are held by id, the least recently used dropped first.
 */
import { buildClientSchema, GraphQLSchema, IntrospectionQuery, parse, validate } from 'graphql';
import { serveJobs } from '../worker-thread/isolated-worker';
import { GRAPHQL_VALIDATION_ROLE, ValidationReply, ValidationRequest } from './graphql-validation-protocol';
import { MAX_DOCUMENT_TOKENS, MAX_PROBLEMS, MAX_THREAD_SCHEMAS } from './graphql-limits';

/** What graphql-js says, in few words, when a query spends its complexity budget (too many fields to compare in pairs). */
const ABORTED = 'Validation aborted: the query is too complex to validate';

/** The schemas held, by id, least recently used first. */
const schemas = new Map<number, GraphQLSchema>();
const answer = (request: ValidationRequest): ValidationReply => {
  let schema = schemas.get(request.schemaId);
  if (schema) {
    schemas.delete(request.schemaId);
  } else {
    if (request.introspection === undefined) return { id: request.id, ok: false, unknownSchema: true };
    try {
      schema = buildClientSchema(request.introspection as IntrospectionQuery, { assumeValid: false });
    } catch (e) {
      return { id: request.id, ok: false, unknownSchema: false, problem: e instanceof Error ? e.message : String(e) };
    }
    while (schemas.size >= MAX_THREAD_SCHEMAS) schemas.delete(schemas.keys().next().value!);
  }
  schemas.set(request.schemaId, schema);
  const typeCount = Object.keys(schema.getTypeMap()).length;
  if (request.query === undefined) return { id: request.id, ok: true, typeCount, problems: [] };
  // The query was parsed on the event loop within the same bounds already.
  const problems = validate(schema, parse(request.query, { maxTokens: MAX_DOCUMENT_TOKENS }), undefined, { maxErrors: MAX_PROBLEMS })
    .slice(0, MAX_PROBLEMS)
    .map((e) => ({ message: e.message === 'Validation aborted.' ? ABORTED : e.message, locations: (e.locations ?? []).map(({ line, column }) => ({ line, column })) }));
  return { id: request.id, ok: true, typeCount, problems };
};
serveJobs<ValidationRequest, ValidationReply>(GRAPHQL_VALIDATION_ROLE, answer);
