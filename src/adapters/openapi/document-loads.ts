import { SourceDocument } from './held-document';

/**
 * Loads of one tenant in progress at once (fetching or parsing): its worker parses one document at
 * a time, so one more being fetched meanwhile keeps it busy, while the rest wait here, not as
 * megabytes in memory nor as work for the event loop that every tenant shares.
 */
const TENANT_LOADS = 2;

/**
 * Loads in progress: concurrent loads of one document by one tenant share one, and at most
 * TENANT_LOADS of a tenant's loads run at once, the others waiting for a turn, first come first served.
 */
export class DocumentLoads {
  private readonly loading = new Map<string, Promise<SourceDocument>>();
  /** Per tenant: loads in progress, and the starts of those waiting for a turn. */
  private readonly turns = new Map<string, { running: number; waiting: (() => void)[] }>();

  /** The load of `key` in progress, if any: its callers share it. */
  pending(key: string): Promise<SourceDocument> | undefined {
    return this.loading.get(key);
  }

  /** Starts the tenant's load of `key` in its turn, shared by the callers of `pending` until it settles. */
  start(tenant: string, key: string, work: () => Promise<SourceDocument>): Promise<SourceDocument> {
    const pending = this.inTurn(tenant, work).then(
      (document) => {
        this.loading.delete(key);
        return document;
      },
      (error: unknown) => {
        this.loading.delete(key);
        throw error;
      },
    );
    this.loading.set(key, pending);
    return pending;
  }

  /** Runs `work` (fetching and parsing) once fewer than TENANT_LOADS of the tenant's loads are in progress. */
  private async inTurn<T>(tenant: string, work: () => Promise<T>): Promise<T> {
    let turn = this.turns.get(tenant);
    if (!turn) this.turns.set(tenant, (turn = { running: 0, waiting: [] }));
    if (turn.running >= TENANT_LOADS) await new Promise<void>((resolve) => turn.waiting.push(resolve));
    else turn.running++;
    try {
      return await work();
    } finally {
      const next = turn.waiting.shift();
      if (next) next();
      else if (--turn.running === 0) this.turns.delete(tenant);
    }
  }
}

