import { BacklogTally } from '../../application/activity/backlog-board';
import { BacklogSnapshot, BacklogView } from '../../application/ports/backlog.port';
import { Clock } from '../../application/ports/clock.port';
import { InMemoryStreamBroker } from './in-memory-stream-broker';

/** The in-process stream's backlog for one consumer group, counted when asked (it is all in memory). */
export class InMemoryBacklog implements BacklogView {
  constructor(
    private readonly broker: InMemoryStreamBroker,
    private readonly group: string,
    private readonly clock: Clock,
  ) {}

  backlog(): BacklogSnapshot {
    const tally = new BacklogTally();
    for (const stream of this.broker.streamNames()) {
      const entries = this.broker.entries(stream).length;
      const state = this.broker.hasGroup(stream, this.group) ? this.broker.group(stream, this.group) : undefined;
      tally.add({ location: stream, undelivered: entries - (state?.nextIndex ?? 0), pending: state?.pending.size ?? 0 });
    }
    return tally.snapshot(this.clock.now());
  }
}
