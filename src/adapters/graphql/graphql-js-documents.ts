import { DocumentNode, getIntrospectionQuery, GraphQLError, IntrospectionQuery, Kind, OperationDefinitionNode, parse } from 'graphql';
import { GraphqlDocuments, GraphqlLocation, GraphqlOperation, GraphqlOperationKind, GraphqlProblem, GraphqlSchema } from '../../application/ports/graphql-documents.port';
import { errors, WorkflowError } from '../../domain/workflow-error';
import { MAX_DOCUMENT_TOKENS, MAX_QUERY_CHARS, MAX_QUERY_DEPTH, VALIDATION_TIMEOUT_MS } from './graphql-limits';
import { ValidationReply } from './graphql-validation-protocol';
import { GraphqlValidationThread } from './graphql-validation-thread';

export { MAX_DOCUMENT_TOKENS, MAX_QUERY_CHARS, MAX_QUERY_DEPTH } from './graphql-limits';

/** Parsed documents kept by query text (workflows send the same few queries again and again). */
const MAX_CACHED_DOCUMENTS = 500;

class GraphqlJsOperation implements GraphqlOperation {
  constructor(
    readonly kind: GraphqlOperationKind,
    readonly name: string | undefined,
    readonly document: DocumentNode,
    readonly text: string,
  ) {}
}

/**
 * A schema held by the validation thread under `id`; the introspection answer is kept to load it
 * again into a thread that does not hold it (a replaced one).
 */
class GraphqlJsSchema implements GraphqlSchema {
  /** Problems found per query text: a schema is held for minutes and sees the same few queries. */
  readonly checked = new Map<string, GraphqlProblem[]>();
  constructor(
    readonly id: number,
    readonly introspection: IntrospectionQuery,
    readonly typeCount: number,
    /** The thread generation that holds it. */
    public generation: number,
  ) {}
}

function locationsOf(error: GraphQLError): GraphqlLocation[] {
  return (error.locations ?? []).map(({ line, column }) => ({ line, column }));
}

function where(locations: readonly GraphqlLocation[]): string {
  const first = locations[0];
  return first ? ` (line ${first.line}, column ${first.column})` : '';
}

/**
 * How deep `{`, `[` and `(` nest in a GraphQL text, counting up to `limit + 1`, without parsing:
 * brackets in strings, block strings and comments do not count. Linear in the text.
 */
export function queryNestingDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '#') {
      while (i + 1 < text.length && text[i + 1] !== '\n' && text[i + 1] !== '\r') i++;
    } else if (c === '"' && text.startsWith('"""', i)) {
      // A block string ends at the next unescaped `"""` (`\"""` is an escaped one).
      i += 3;
      while (i < text.length && !text.startsWith('"""', i)) i += text.startsWith('\\"""', i) ? 4 : 1;
      i += 2;
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"' && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
    } else if (c === '{' || c === '[' || c === '(') {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === '}' || c === ']' || c === ')') {
      depth--;
    }
  }
  return deepest;
}

function invalid(detail: string, data?: Record<string, unknown>): WorkflowError {
  return errors.configuration(`invalid GraphQL call: ${detail}`, data);
}

/**
 * `call: graphql` documents with graphql-js: parse and pick the operation on the event loop (linear,
 * within the bounds on length, nesting and tokens); build schemas and validate queries in a worker
 * thread, since validation grows faster than a query's size, tenants waiting in turns. Results are
 * kept per schema and query.
 */
export class GraphqlJsDocuments implements GraphqlDocuments {
  readonly introspectionQuery = getIntrospectionQuery();
  private readonly parsed = new Map<string, DocumentNode>();
  private nextSchema = 0;

  constructor(private readonly thread = new GraphqlValidationThread({ timeoutMs: VALIDATION_TIMEOUT_MS, maxMemoryMb: 256 })) {}

  /** Stops the validation thread (the service is stopping). */
  close(): Promise<void> {
    return this.thread.close();
  }

  operation(query: string, operationName: string | undefined): GraphqlOperation {
    const document = this.parse(query);
    const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const names = operations.map((o) => o.name?.value).filter((n): n is string => n !== undefined);
    let chosen: OperationDefinitionNode | undefined;
    if (operationName !== undefined) {
      chosen = operations.find((o) => o.name?.value === operationName);
      if (!chosen) throw invalid(`the query has no operation named "${operationName}" (operations: ${names.length > 0 ? names.join(', ') : 'none named'})`);
    } else if (operations.length === 1) {
      chosen = operations[0];
    } else if (operations.length === 0) {
      throw invalid('the query defines no operation');
    } else {
      throw invalid(`the query defines ${operations.length} operations; operationName must name the one to run (operations: ${names.join(', ')})`);
    }
    return new GraphqlJsOperation(chosen!.operation, chosen!.name?.value, document, query);
  }

  async schema(introspection: unknown, tenant = ''): Promise<GraphqlSchema> {
    const result = introspection as Partial<IntrospectionQuery> | null;
    if (result === null || typeof result !== 'object' || result.__schema === undefined || result.__schema === null) {
      throw badResponse('the introspection answer has no data.__schema');
    }
    const id = ++this.nextSchema;
    const reply = await this.thread.run({ schemaId: id, introspection: result }, tenant);
    if (!reply.ok) throw badResponse(`the introspection answer is not a schema: ${reply.unknownSchema ? 'not built' : reply.problem}`);
    return new GraphqlJsSchema(id, result as IntrospectionQuery, reply.typeCount, this.thread.generation);
  }

  async validate(schema: GraphqlSchema, operation: GraphqlOperation, tenant = ''): Promise<GraphqlProblem[]> {
    if (!(schema instanceof GraphqlJsSchema) || !(operation instanceof GraphqlJsOperation)) {
      throw errors.runtime('a GraphQL schema or operation from another adapter was given to graphql-js');
    }
    const known = schema.checked.get(operation.text);
    if (known) return known;
    const ask = (withIntrospection: boolean): Promise<ValidationReply> =>
      this.thread.run({ schemaId: schema.id, query: operation.text, ...(withIntrospection ? { introspection: schema.introspection } : {}) }, tenant);
    let reply = await ask(schema.generation !== this.thread.generation);
    if (!reply.ok && reply.unknownSchema) reply = await ask(true);
    if (!reply.ok) throw errors.runtime(`GraphQL validation failed: ${reply.unknownSchema ? 'the schema is not held' : reply.problem}`);
    schema.generation = this.thread.generation;
    if (schema.checked.size >= MAX_CACHED_DOCUMENTS) schema.checked.delete(schema.checked.keys().next().value!);
    schema.checked.set(operation.text, reply.problems);
    return reply.problems;
  }

  private parse(query: string): DocumentNode {
    const cached = this.parsed.get(query);
    if (cached) return cached;
    if (query.length > MAX_QUERY_CHARS) throw invalid(`the query is ${query.length} characters long, more than ${MAX_QUERY_CHARS}`);
    if (queryNestingDepth(query, MAX_QUERY_DEPTH) > MAX_QUERY_DEPTH) throw invalid(`the query nests deeper than ${MAX_QUERY_DEPTH} levels of selections, arguments, lists and objects`);
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: MAX_DOCUMENT_TOKENS });
    } catch (e) {
      if (!(e instanceof GraphQLError)) throw e;
      const locations = locationsOf(e);
      throw invalid(`the query is not valid GraphQL: ${e.message}${where(locations)}`, { locations });
    }
    if (this.parsed.size >= MAX_CACHED_DOCUMENTS) this.parsed.delete(this.parsed.keys().next().value!);
    this.parsed.set(query, document);
    return document;
  }
}

function badResponse(detail: string): WorkflowError {
  return new WorkflowError({ kind: 'communication', code: 'GRAPHQL_BAD_RESPONSE', title: 'Bad GraphQL Response', detail: `GraphQL schema introspection failed: ${detail}`, status: 502, retryable: false });
}
