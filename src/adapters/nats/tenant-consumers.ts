/**
 * Per-tenant durable pull consumers, so that the NATS inbox can honour the fair-dispatch read gate
 * (ADR 0009, ADR 0010): one consumer per tenant, named after EXECUTOR_CONSUMER_GROUP and the tenant,
 * filtered on `{prefix}.tenant.<tenant>.workflow.*.events` (nats-server 2.9 has one filter subject
 * per consumer). A read pulls only from the consumers of tenants the gate admits.
 *
 * Tenants are discovered from the stream: STREAM.INFO with a subjects filter lists the workflow
 * subjects holding messages; a tenant seen there for the first time gets its consumer.
 *
 * Switching between the single all-subjects consumer and per-tenant consumers (turning
 * EXECUTOR_FAIR_DISPATCH on or off) is a migration: the consumers of the new layout start after
 * the acknowledgement floor of the old one(s), which are then deleted. Messages acknowledged out of
 * order above that floor are delivered again and found settled in the task bucket.
 */
import { AckPolicy, ConsumerConfig, ConsumerInfo, DeliverPolicy, JetStreamManager, nanos } from 'nats';
import { isNotFound, JetStreamLayout } from './setup';
import { encodeToken, parseWorkflowSubject, workflowSubjects } from './subjects';

/**
 * The consumer name of a tenant: `<group>_t_<encoded tenant>`, the encoding made a valid consumer
 * name injectively (`_` is written `__`, the `%` of an escaped byte `_`; other characters of the
 * group become `_`).
 */
export function tenantConsumerName(durable: string, tenantId: string): string {
  return `${tenantConsumerPrefix(durable)}${encodeToken(tenantId).replace(/_/g, '__').replace(/%/g, '_')}`;
}

/** The prefix shared by the per-tenant consumers of a group. */
export function tenantConsumerPrefix(durable: string): string {
  return `${durable.replace(/[^A-Za-z0-9_-]/g, '_')}_t_`;
}

/** The subjects of one tenant's workflows. */
export function tenantSubjects(prefix: string, tenantId: string): string {
  return `${prefix}.tenant.${encodeToken(tenantId)}.workflow.*.events`;
}

/** The tenants holding messages in the stream, with their message counts (one STREAM.INFO listing the workflow subjects). */
export async function tenantsInStream(jsm: JetStreamManager, layout: Pick<JetStreamLayout, 'stream' | 'subjectPrefix'>): Promise<Map<string, number>> {
  const info = await jsm.streams.info(layout.stream, { subjects_filter: workflowSubjects(layout.subjectPrefix) });
  const tenants = new Map<string, number>();
  for (const [subject, count] of Object.entries(info.state.subjects ?? {})) {
    const parsed = parseWorkflowSubject(layout.subjectPrefix, subject);
    if (parsed) tenants.set(parsed.tenantId, (tenants.get(parsed.tenantId) ?? 0) + count);
  }
  return tenants;
}

async function consumerInfo(jsm: JetStreamManager, stream: string, name: string): Promise<ConsumerInfo | undefined> {
  try {
    return await jsm.consumers.info(stream, name);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The consumers of `group` on the stream of the other layout than `perTenant`. */
async function otherLayout(jsm: JetStreamManager, layout: JetStreamLayout, perTenant: boolean): Promise<ConsumerInfo[]> {
  if (perTenant) {
    const single = await consumerInfo(jsm, layout.stream, layout.durable);
    return single ? [single] : [];
  }
  // Only the group's own: named after it and a tenant, filtered on that tenant (another group's name
  // may start with the same prefix).
  const found: ConsumerInfo[] = [];
  for await (const info of jsm.consumers.list(layout.stream)) {
    const tenantId = parseWorkflowSubject(layout.subjectPrefix, (info.config.filter_subject ?? '').replace('.workflow.*.', '.workflow.x.'))?.tenantId;
    if (tenantId !== undefined && info.name === tenantConsumerName(layout.durable, tenantId) && info.config.filter_subject === tenantSubjects(layout.subjectPrefix, tenantId)) found.push(info);
  }
  return found;
}

/**
 * Where the consumers of the layout in use start when the other layout's consumers exist: after
 * their lowest acknowledgement floor (undefined: nothing to migrate, start at the first message).
 */
export async function migrationStart(jsm: JetStreamManager, layout: JetStreamLayout, perTenant: boolean): Promise<{ startSeq: number | undefined; retire: string[] }> {
  const others = await otherLayout(jsm, layout, perTenant);
  if (others.length === 0) return { startSeq: undefined, retire: [] };
  const floor = Math.min(...others.map((c) => c.ack_floor.stream_seq));
  return { startSeq: floor + 1, retire: others.map((c) => c.name) };
}

/** Deletes the consumers of the layout no longer in use (once the new ones exist). */
export async function retireConsumers(jsm: JetStreamManager, stream: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    await jsm.consumers.delete(stream, name).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
  }
}

/** The configuration of a consumer over `filter`: explicit acks, ack wait and max deliver as configured. */
export function consumerConfig(layout: JetStreamLayout, name: string, filter: string, startSeq: number | undefined): Partial<ConsumerConfig> {
  return {
    durable_name: name,
    ack_policy: AckPolicy.Explicit,
    ...(startSeq === undefined ? { deliver_policy: DeliverPolicy.All } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startSeq }),
    filter_subject: filter,
    ack_wait: nanos(layout.ackWaitMs),
    max_deliver: layout.maxDeliver,
  };
}

/**
 * Creates the consumer when missing (from `startSeq` when given), and brings an existing one's ack
 * wait and max deliver to the configured ones.
 */
export async function ensureNamedConsumer(jsm: JetStreamManager, layout: JetStreamLayout, wanted: Partial<ConsumerConfig>): Promise<void> {
  const name = wanted.durable_name as string;
  let existing = (await consumerInfo(jsm, layout.stream, name))?.config;
  if (!existing) {
    try {
      await jsm.consumers.add(layout.stream, wanted);
      return;
    } catch (error) {
      // Another replica created it meanwhile: fall through to the update check.
      existing = (await consumerInfo(jsm, layout.stream, name))?.config;
      if (!existing) throw error;
    }
  }
  if (existing.ack_wait !== wanted.ack_wait || existing.max_deliver !== wanted.max_deliver) {
    await jsm.consumers.update(layout.stream, name, { ack_wait: wanted.ack_wait, max_deliver: wanted.max_deliver });
  }
}

/** One tenant's consumer as the inbox knows it. */
export interface TenantConsumer {
  tenantId: string;
  name: string;
}

/**
 * The per-tenant consumers of one inbox: discovered tenants, their consumers created on discovery,
 * and a round-robin cursor so that no tenant is always asked first.
 */
export class TenantConsumers {
  private readonly known = new Map<string, TenantConsumer>();
  /** Each tenant's message count in the stream at the last scan. */
  private readonly counts = new Map<string, number>();
  private order: TenantConsumer[] = [];
  private cursor = 0;
  /** Where new consumers start during a migration from the single consumer (undefined: the first message). */
  private startSeq: number | undefined;
  private lastScanAt = -Infinity;

  constructor(private readonly layout: JetStreamLayout) {}

  get size(): number {
    return this.order.length;
  }

  /**
   * First setup: migrates from the single consumer if there is one, and discovers the tenants.
   * Returns the consumers it retired.
   */
  async setUp(jsm: JetStreamManager, now: number): Promise<string[]> {
    const { startSeq, retire } = await migrationStart(jsm, this.layout, true);
    this.startSeq = startSeq;
    await this.scan(jsm, now, true);
    await retireConsumers(jsm, this.layout.stream, retire);
    return retire;
  }

  /** Forgets what was created (after a failed read: the stream or the consumers may be gone). */
  reset(): void {
    this.known.clear();
    this.counts.clear();
    this.order = [];
    this.lastScanAt = -Infinity;
  }

  /**
   * Discovers tenants unless it did within `minIntervalMs`, and creates the consumers of new ones.
   * Returns the tenants whose message count changed since the last scan (new ones included): those
   * that may have something new to read (undefined when it did not scan).
   */
  async scan(jsm: JetStreamManager, now: number, force = false, minIntervalMs = 0): Promise<Set<string> | undefined> {
    if (!force && now - this.lastScanAt < minIntervalMs) return undefined;
    this.lastScanAt = now;
    const changed = new Set<string>();
    for (const [tenantId, count] of await tenantsInStream(jsm, this.layout)) {
      if (this.counts.get(tenantId) !== count) changed.add(tenantId);
      this.counts.set(tenantId, count);
      if (this.known.has(tenantId)) continue;
      const name = tenantConsumerName(this.layout.durable, tenantId);
      await ensureNamedConsumer(jsm, this.layout, consumerConfig(this.layout, name, tenantSubjects(this.layout.subjectPrefix, tenantId), this.startSeq));
      const consumer = { tenantId, name };
      this.known.set(tenantId, consumer);
      this.order.push(consumer);
    }
    return changed;
  }

  /** Every known tenant's consumer, starting after the one asked first last time. */
  rotation(): TenantConsumer[] {
    if (this.order.length === 0) return [];
    const start = this.cursor % this.order.length;
    this.cursor = start + 1;
    return [...this.order.slice(start), ...this.order.slice(0, start)];
  }
}

/**
 * The single consumer over every workflow subject (fair dispatch off). With `migrate`, per-tenant
 * consumers of the group are retired, the single one starting after their lowest acknowledgement
 * floor when it is created; returns the consumers retired.
 */
export async function ensureSingleConsumer(jsm: JetStreamManager, layout: JetStreamLayout, migrate: boolean): Promise<string[]> {
  const { startSeq, retire } = migrate ? await migrationStart(jsm, layout, false) : { startSeq: undefined, retire: [] };
  await ensureNamedConsumer(jsm, layout, consumerConfig(layout, layout.durable, workflowSubjects(layout.subjectPrefix), startSeq));
  await retireConsumers(jsm, layout.stream, retire);
  return retire;
}
