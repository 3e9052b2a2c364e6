import { sha256Hex } from '../../../../domain/sha256';
import { Clock } from '../../../ports/clock.port';
import { GraphqlSchema } from '../../../ports/graphql-documents.port';

/** How long an introspected schema is reused, in ms. */
export const SCHEMA_TTL_MS = 5 * 60_000;
/** Schemas held at most (the oldest is forgotten first). */
export const MAX_SCHEMAS = 256;

/**
 * Introspected schemas per tenant, endpoint and credentials (a digest of them), for `validate: true`:
 * a schema fetched for one tenant is never used for another's calls, nor one fetched with some
 * credentials for calls with others (a server may show each caller its own schema), and none is
 * older than the TTL. Bounded: a workflow
 * that names endpoints by expression cannot grow it without limit.
 */
export class GraphqlSchemaCache {
  private readonly entries = new Map<string, { schema: GraphqlSchema; until: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = SCHEMA_TTL_MS,
    private readonly maxEntries = MAX_SCHEMAS,
  ) {}

  get(tenant: string, endpoint: string, credentials = ''): GraphqlSchema | undefined {
    const key = keyOf(tenant, endpoint, credentials);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.schema;
  }

  set(tenant: string, endpoint: string, schema: GraphqlSchema, credentials = ''): void {
    if (this.ttlMs <= 0 || this.maxEntries <= 0) return;
    const key = keyOf(tenant, endpoint, credentials);
    this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { schema, until: this.clock.now() + this.ttlMs });
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The credentials' digest, never the credentials themselves, is kept in the key. */
function keyOf(tenant: string, endpoint: string, credentials: string): string {
  return JSON.stringify([tenant, endpoint, credentials === '' ? '' : sha256Hex(credentials)]);
}
