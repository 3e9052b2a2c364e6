/** What a GraphQL operation does: a query reads, a mutation writes, a subscription never ends. */
export type GraphqlOperationKind = 'query' | 'mutation' | 'subscription';

/** A source position, 1-based, as GraphQL reports it. */
export interface GraphqlLocation {
  line: number;
  column: number;
}

/** One reason a document was refused (a syntax error or a rule of the schema it breaks). */
export interface GraphqlProblem {
  message: string;
  locations: GraphqlLocation[];
}

/**
 * One operation of a parsed GraphQL document, the one a call runs. Adapters keep the parsed
 * document inside it; only the adapter that made it can validate it.
 */
export interface GraphqlOperation {
  readonly kind: GraphqlOperationKind;
  /** The operation's name; undefined for an anonymous operation. */
  readonly name: string | undefined;
}

/**
 * A server's schema, built from its answer to the introspection query. Opaque outside the adapter
 * that built it; held in a cache by the caller.
 */
export interface GraphqlSchema {
  /** How many named types it has (for logs and tests: a built schema is never empty). */
  readonly typeCount: number;
}

/**
 * GraphQL documents (parsing and validation) for `call: graphql`. The sending is the call
 * protocol's, through the HttpClient port; this port only reads documents and schemas, so that
 * the application keeps no GraphQL library of its own.
 */
export interface GraphqlDocuments {
  /** The standard introspection query, as sent to fetch a server's schema. */
  readonly introspectionQuery: string;
  /**
   * Parses `query` and picks the operation to run: the one named `operationName`, or the only one.
   * Throws a `configuration` WorkflowError for a syntax error (with its line and column), an
   * unknown `operationName`, or several operations and no `operationName`.
   */
  operation(query: string, operationName: string | undefined): GraphqlOperation;
  /**
   * Builds the schema from the `data` of an introspection answer (off the event loop, the tenant's
   * work waiting in turns with other tenants'). Rejects with a `communication` WorkflowError
   * (GRAPHQL_BAD_RESPONSE) when it is not an introspection result.
   */
  schema(introspection: unknown, tenant: string): Promise<GraphqlSchema>;
  /**
   * The document's problems against `schema`; none when it may run. Off the event loop, the
   * tenant's work waiting in turns with other tenants', within a time limit (a `timeout`
   * WorkflowError past it); the answer is kept per schema and query text.
   */
  validate(schema: GraphqlSchema, operation: GraphqlOperation, tenant: string): Promise<GraphqlProblem[]>;
}
