/**
 * A bounded queue shared by tenants, served in turns: each share (a tenant) has its own line, and
 * the next job is taken from the share whose turn it is, so one share's long backlog delays another
 * share's job by at most one job per share ahead of it, never by the whole backlog. Bounded per
 * share and in all, so that one share cannot fill the memory, nor the queue for others.
 */
export interface FairQueueLimits {
  /** Most jobs one share may have waiting. */
  perShare: number;
  /** Most jobs waiting in all. */
  total: number;
}

export type FairQueuePush = 'queued' | 'share-full' | 'full';

export class FairQueue<J> {
  /** Shares with waiting jobs, in turn order: the first one is served next. */
  private readonly lines = new Map<string, J[]>();
  private count = 0;

  constructor(private readonly limits: FairQueueLimits) {}

  get size(): number {
    return this.count;
  }

  /** Queues `job` for `share`, unless that share's line or the whole queue is full. */
  push(share: string, job: J): FairQueuePush {
    const line = this.lines.get(share);
    if ((line?.length ?? 0) >= this.limits.perShare) return 'share-full';
    if (this.count >= this.limits.total) return 'full';
    if (line) line.push(job);
    else this.lines.set(share, [job]);
    this.count++;
    return 'queued';
  }

  /** The next job: the oldest of the share whose turn it is; that share then goes to the back. */
  shift(): J | undefined {
    const first = this.lines.entries().next();
    if (first.done) return undefined;
    const [share, line] = first.value;
    const job = line.shift() as J;
    this.count--;
    this.lines.delete(share);
    if (line.length > 0) this.lines.set(share, line);
    return job;
  }

  /** Takes `job` out of its line, if it is still waiting; true when it was. */
  remove(share: string, job: J): boolean {
    const line = this.lines.get(share);
    const index = line ? line.indexOf(job) : -1;
    if (!line || index < 0) return false;
    line.splice(index, 1);
    this.count--;
    if (line.length === 0) this.lines.delete(share);
    return true;
  }

  /** Every waiting job, in turn order, leaving the queue empty. */
  drain(): J[] {
    const out: J[] = [];
    for (let job = this.shift(); job !== undefined; job = this.shift()) out.push(job);
    return out;
  }
}
