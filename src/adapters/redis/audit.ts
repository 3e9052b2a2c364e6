/**
 * The audit: a pipelined XINFO GROUPS over every known stream that marks streams with undelivered
 * entries (lag) dirty, queues streams with pending entries for reclaim, re-creates groups destroyed
 * behind this consumer's back, and reports the pending and lag totals. It catches whatever
 * notifications missed, and is the only discovery of new entries when they are unavailable.
 *
 * Owns: when the next audit step is due and the pass in progress (its streams, position and totals).
 *
 * Who changes what: only this class; set-up restarts the pass (`restart`) and discovery asks for an
 * early one when notifications may have been missed.
 */
import { BacklogTally } from '../../application/activity/backlog-board';
import { Clock } from '../../application/ports/clock.port';
import { Metrics } from '../../application/ports/metrics.port';
import { execBatch } from './batch';
import { SourceConnections } from './connections';
import { Discovery } from './discovery';
import { Recovery } from './recovery';
import { isConnectionError, messageOf, pairsToObject } from './replies';
import { FALLBACK_POLL_MS, RedisStreamTaskSourceOptions } from './source-options';
import { StreamSet } from './stream-set';

export type AuditOptions = Pick<RedisStreamTaskSourceOptions, 'group' | 'streamsPerRead' | 'reclaimIntervalMs' | 'onBacklog'>;

/** Streams per audit step: a few ms of Redis work, so reads are never held up for long. */
const AUDIT_CHUNK = 250;

interface Pass {
  streams: string[];
  index: number;
  pending: number;
  lag: number;
  /** The busiest streams of the pass, for the console's backlog. */
  tally: BacklogTally;
}

export class Audit {
  private nextAt = 0;
  /** The pass in progress (see step). */
  private pass: Pass | undefined;

  constructor(
    private readonly options: AuditOptions,
    private readonly connections: SourceConnections,
    private readonly streams: StreamSet,
    private readonly discovery: Discovery,
    private readonly recovery: Recovery,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {
    discovery.onNotificationsMissed(() => this.soon());
  }

  /** When the next step is due (epoch ms; 0: at once). */
  get dueAt(): number {
    return this.nextAt;
  }

  /** The next step at once. */
  soon(): void {
    this.nextAt = 0;
  }

  /** A new pass at once (after set-up). */
  restart(): void {
    this.nextAt = 0;
    this.pass = undefined;
  }

  /**
   * One chunk of AUDIT_CHUNK streams per call (per receive), so that with thousands of streams an
   * audit never holds up reading for long (a whole pass over 10,000 streams in one go stalled the
   * loop for ~300 ms, which showed as the p99 latency).
   */
  async step(): Promise<void> {
    const pass = (this.pass ??= { streams: this.streams.knownStreams(), index: 0, pending: 0, lag: 0, tally: new BacklogTally() });
    const chunk = pass.streams.slice(pass.index, pass.index + AUDIT_CHUNK);
    pass.index += chunk.length;
    if (pass.index < pass.streams.length) this.nextAt = 0;
    else {
      // Without notifications the audit is how new entries are found, unless a blocking read covers every stream (never on a cluster).
      const blockingCoversAll = this.streams.knownCount <= this.options.streamsPerRead && this.connections.cluster === undefined;
      const period = this.discovery.notificationsActive || blockingCoversAll ? this.options.reclaimIntervalMs : Math.min(FALLBACK_POLL_MS, this.options.reclaimIntervalMs);
      this.nextAt = this.clock.now() + period;
      this.pass = undefined;
    }
    if (chunk.length > 0) {
      const cluster = this.connections.cluster !== undefined;
      // XINFO names no key a cluster client can route by: on a cluster it runs as a script of the stream's key.
      const replies = (await execBatch(this.connections.commands, cluster, chunk.map((s) => ({ key: s, send: (t) => (cluster ? t.flunqGroupInfo(s) : t.call('XINFO', 'GROUPS', s)) })))) ?? [];
      for (let j = 0; j < chunk.length; j++) {
        const stream = chunk[j] as string;
        if (!this.streams.isKnown(stream)) continue;
        const [error, reply] = replies[j] ?? [new Error('no reply'), null];
        if (error) {
          if (isConnectionError(error)) {
            // Start over after the outage.
            this.restart();
            throw error;
          }
          this.discovery.forget(stream, messageOf(error));
          continue;
        }
        const info = (reply as unknown[][]).map(pairsToObject).find((g) => g['name'] === this.options.group);
        if (!info) {
          // Group destroyed behind our back: recreate it (at 0; idempotency markers prevent replays).
          this.streams.drop(stream);
          await this.discovery.createGroup(stream, this.discovery.fixed);
          continue;
        }
        const pending = Number(info['pending'] ?? 0);
        const lag = info['lag'];
        pass.pending += pending;
        if (lag === null || lag === undefined || Number(lag) > 0) {
          this.streams.markDirty(stream);
          pass.lag += lag === null || lag === undefined ? 0 : Number(lag);
        }
        if (pending > 0) this.recovery.queueReclaim(stream);
        pass.tally.add({ location: stream, undelivered: lag === null || lag === undefined ? 0 : Number(lag), pending });
      }
    }
    if (pass.index >= pass.streams.length) {
      this.metrics.pendingEntries(this.options.group, pass.pending);
      this.metrics.consumerLag(this.options.group, pass.lag);
      this.options.onBacklog?.(pass.tally.snapshot(this.clock.now()));
    }
  }
}
