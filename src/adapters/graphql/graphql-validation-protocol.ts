import { GraphqlProblem } from '../../application/ports/graphql-documents.port';

/** Marks the worker thread's role in its workerData. */
export const GRAPHQL_VALIDATION_ROLE = 'flunq-graphql-validation';

/**
 * One job for the validation thread: build the schema `schemaId` from `introspection` when it is
 * given, then validate `query` against it when that is given.
 */
export interface ValidationRequest {
  id: number;
  schemaId: number;
  introspection?: unknown;
  query?: string;
}

/**
 * `unknownSchema`: the thread does not hold `schemaId` (it was replaced, or dropped the schema): ask
 * again with the introspection. `problem`: why the introspection is not a schema.
 */
export type ValidationReply =
  | { id: number; ok: true; typeCount: number; problems: GraphqlProblem[] }
  | { id: number; ok: false; unknownSchema: true }
  | { id: number; ok: false; unknownSchema: false; problem: string };
