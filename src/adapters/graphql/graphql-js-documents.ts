import { buildClientSchema, DocumentNode, getIntrospectionQuery, GraphQLError, GraphQLSchema, IntrospectionQuery, Kind, OperationDefinitionNode, parse, validate } from 'graphql';
import { GraphqlDocuments, GraphqlLocation, GraphqlOperation, GraphqlOperationKind, GraphqlProblem, GraphqlSchema } from '../../application/ports/graphql-documents.port';
import { errors, WorkflowError } from '../../domain/workflow-error';

/** Largest document accepted, in lexical tokens: a bound on the parser's and the validation's work for one task. */
export const MAX_DOCUMENT_TOKENS = 20_000;
/** Longest query text accepted, in characters: bounds the lexer's work (one string token may be long) before tokens are counted. */
export const MAX_QUERY_CHARS = 100_000;
/**
 * Deepest nesting of selection sets, argument lists, list values and object values accepted.
 * graphql-js parses and validates by recursion, a few stack frames per level: a query nested a few
 * thousand levels deep (well within the token bound) would overflow the stack.
 */
export const MAX_QUERY_DEPTH = 64;
/** Parsed documents kept by query text (workflows send the same few queries again and again). */
const MAX_CACHED_DOCUMENTS = 500;
/** Problems reported for one document at most (GraphQL's own validation stops at 100). */
const MAX_PROBLEMS = 20;

class GraphqlJsOperation implements GraphqlOperation {
  constructor(
    readonly kind: GraphqlOperationKind,
    readonly name: string | undefined,
    readonly document: DocumentNode,
    readonly text: string,
  ) {}
}

class GraphqlJsSchema implements GraphqlSchema {
  readonly typeCount: number;
  /** Problems found per query text: a schema is held for minutes and sees the same few queries. */
  readonly checked = new Map<string, GraphqlProblem[]>();
  constructor(readonly schema: GraphQLSchema) {
    this.typeCount = Object.keys(schema.getTypeMap()).length;
  }
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

/** `call: graphql` documents with graphql-js: parse, pick the operation, validate against an introspected schema. */
export class GraphqlJsDocuments implements GraphqlDocuments {
  readonly introspectionQuery = getIntrospectionQuery();
  private readonly parsed = new Map<string, DocumentNode>();

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

  schema(introspection: unknown): GraphqlSchema {
    const result = introspection as Partial<IntrospectionQuery> | null;
    if (result === null || typeof result !== 'object' || result.__schema === undefined || result.__schema === null) {
      throw badResponse('the introspection answer has no data.__schema');
    }
    try {
      return new GraphqlJsSchema(buildClientSchema(result as IntrospectionQuery, { assumeValid: false }));
    } catch (e) {
      throw badResponse(`the introspection answer is not a schema: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  validate(schema: GraphqlSchema, operation: GraphqlOperation): GraphqlProblem[] {
    if (!(schema instanceof GraphqlJsSchema) || !(operation instanceof GraphqlJsOperation)) {
      throw errors.runtime('a GraphQL schema or operation from another adapter was given to graphql-js');
    }
    const known = schema.checked.get(operation.text);
    if (known) return known;
    const problems = validate(schema.schema, operation.document, undefined, { maxErrors: MAX_PROBLEMS })
      .slice(0, MAX_PROBLEMS)
      .map((e) => ({ message: e.message, locations: locationsOf(e) }));
    if (schema.checked.size >= MAX_CACHED_DOCUMENTS) schema.checked.delete(schema.checked.keys().next().value!);
    schema.checked.set(operation.text, problems);
    return problems;
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
