/** Bounds on the GraphQL documents a call may carry, shared by the event loop's side and the validation thread. */

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
/** Problems reported for one document at most (GraphQL's own validation stops at 100). */
export const MAX_PROBLEMS = 20;
/** Schemas the validation thread holds (as many as the call protocol caches). */
export const MAX_THREAD_SCHEMAS = 256;
/** Longest validation (or schema build) in the thread, in ms: one that runs longer ends with its thread. */
export const VALIDATION_TIMEOUT_MS = 5_000;
