/**
 * The stream set: which streams this consumer reads, which of them may have work, and who waits
 * for that to change. The bottom of the Redis adapter: it holds no connection and imports no part.
 *
 * Owns, per stream name: known (the group exists and the stream is read), dirty (known, and may
 * hold entries not yet delivered to the group), discovered (named by a notification, group not
 * created yet), rejected (group creation failed during the current scan cycle), held for a
 * history scan (group just created by this process, not read until its history is scanned), and
 * covered (read by the blocking read in flight). It also owns the waiters that a notification or a
 * new entry wakes.
 *
 * Who changes what: discovery adds, rejects and removes streams and records notifications; the
 * history scan releases the streams it held; the audit drops a stream whose group was destroyed
 * (discovery re-creates it); the reader, the audit and set-up mark streams dirty; the reader takes
 * dirty streams and sets the coverage of its blocking read. Parts that keep per-stream state of
 * their own register with `onRemove` to drop it when a stream is removed.
 */
import { Clock } from '../../application/ports/clock.port';

/** Why a wait was ended (a ready-made reason: aborting without one builds a DOMException each time). */
const WAIT_ENDED = new Error('wait ended');

export class StreamSet {
  /** Streams whose group exists, in discovery order. */
  private readonly known = new Set<string>();
  /** Known streams that may have entries not yet delivered to the group. */
  private readonly dirty = new Set<string>();
  /** Stream names learnt from notifications whose group is not created yet. */
  private readonly discovered = new Set<string>();
  /** Keys whose group creation failed during the current scan cycle. */
  private readonly rejected = new Set<string>();
  /** Streams whose group this process created: not read until their history is scanned. */
  private readonly heldForHistory = new Set<string>();
  /** Streams covered by the blocking read in flight, if any. */
  private covered: ReadonlySet<string> | undefined;
  private readonly waiters = new Set<() => void>();
  /** Set while `wakeAll` runs: every waiter ends, gated or not. */
  private endingAll = false;
  private readonly removalListeners: ((stream: string) => void)[] = [];

  constructor(private readonly clock: Clock) {}

  // --- known streams ------------------------------------------------------------------------

  isKnown(stream: string): boolean {
    return this.known.has(stream);
  }

  get knownCount(): number {
    return this.known.size;
  }

  /** The known streams, in discovery order (a copy). */
  knownStreams(): string[] {
    return [...this.known];
  }

  /** The first `n` known streams (that `admits` admits, when given), in discovery order. */
  firstKnown(n: number, admits?: (stream: string) => boolean): string[] {
    return firstOf(this.known, n, admits);
  }

  /** Starts reading a stream whose group exists (known and dirty); false when it was known already. */
  admit(stream: string): boolean {
    if (this.known.has(stream)) return false;
    this.known.add(stream);
    this.dirty.add(stream);
    return true;
  }

  /** Stops reading a stream until its group is created again (it stays in every other state). */
  drop(stream: string): void {
    this.known.delete(stream);
  }

  /** Stops reading a stream for good (until found again); the `onRemove` listeners drop their state for it. */
  remove(stream: string): void {
    this.known.delete(stream);
    this.dirty.delete(stream);
    this.heldForHistory.delete(stream);
    for (const listener of this.removalListeners) listener(stream);
  }

  /** Registers state of another part to drop when a stream is removed. */
  onRemove(listener: (stream: string) => void): void {
    this.removalListeners.push(listener);
  }

  // --- history scan -------------------------------------------------------------------------

  /** The group was just created by this process: the stream is not read until its history is scanned. */
  holdForHistory(stream: string): void {
    this.known.delete(stream);
    this.dirty.delete(stream);
    this.heldForHistory.add(stream);
  }

  isHeldForHistory(stream: string): boolean {
    return this.heldForHistory.has(stream);
  }

  get heldForHistoryCount(): number {
    return this.heldForHistory.size;
  }

  /** The first `n` streams held for a history scan, oldest first. */
  firstHeldForHistory(n: number): string[] {
    return firstOf(this.heldForHistory, n);
  }

  /** The history is scanned: the stream is read from now on. */
  releaseFromHistory(stream: string): void {
    this.heldForHistory.delete(stream);
    this.known.add(stream);
    this.dirty.add(stream);
  }

  /** The history scan failed: the stream is neither held nor read (discovery decides what follows). */
  abandonHistory(stream: string): void {
    this.heldForHistory.delete(stream);
  }

  // --- rejected keys ------------------------------------------------------------------------

  /** A key that cannot be read as a stream: not read, and ignored until the next scan cycle. */
  reject(key: string): void {
    this.rejected.add(key);
    this.known.delete(key);
    this.dirty.delete(key);
  }

  isRejected(key: string): boolean {
    return this.rejected.has(key);
  }

  /** A new scan cycle: rejected keys are tried again. */
  clearRejected(): void {
    this.rejected.clear();
  }

  // --- dirty streams ------------------------------------------------------------------------

  markDirty(stream: string): void {
    this.dirty.add(stream);
  }

  markAllDirty(): void {
    for (const stream of this.known) this.dirty.add(stream);
  }

  get dirtyCount(): number {
    return this.dirty.size;
  }

  /**
   * Takes up to `n` dirty streams (oldest first); the reader marks them dirty again if they may have
   * more. With `admits`, only streams it admits are taken: the others stay dirty, in their place.
   */
  takeDirty(n: number, admits?: (stream: string) => boolean): string[] {
    const streams = admits ? firstOf(this.dirty, n, admits) : firstOf(this.dirty, n);
    for (const stream of streams) this.dirty.delete(stream);
    return streams;
  }

  /** How many dirty streams `admits` admits (all of them without it). */
  admittedDirtyCount(admits?: (stream: string) => boolean): number {
    if (!admits) return this.dirty.size;
    let n = 0;
    for (const stream of this.dirty) if (admits(stream)) n++;
    return n;
  }

  // --- notifications and the blocking read ----------------------------------------------------

  /**
   * A notification of a new entry in `key`. True when handled: the stream is known (marked dirty,
   * waiters woken) or covered by the blocking read in flight, which returns the entry itself (marking
   * it dirty would only cost an empty read and a wake-up per entry, this consumer's own
   * completions included). False when the key is not known.
   */
  entryAdded(key: string): boolean {
    if (this.covered?.has(key)) return true;
    if (!this.known.has(key)) return false;
    this.dirty.add(key);
    this.wake();
    return true;
  }

  /** A stream named by a notification, whose group is to be created; wakes the waiters. */
  discover(key: string): void {
    this.discovered.add(key);
    this.wake();
  }

  /** The discovered names, emptied. */
  takeDiscovered(): string[] {
    if (this.discovered.size === 0) return [];
    const keys = [...this.discovered];
    this.discovered.clear();
    return keys;
  }

  /** The streams the blocking read starting now covers (until `uncover` with the same set). */
  cover(streams: ReadonlySet<string>): void {
    this.covered = streams;
  }

  uncover(streams: ReadonlySet<string>): void {
    if (this.covered === streams) this.covered = undefined;
  }

  // --- waiting --------------------------------------------------------------------------------

  /**
   * Something to do without waiting: dirty streams (that `admits` admits: the others wait for the
   * gate to open, which ends the wait through the caller's signal), discovered names or a history to scan.
   */
  hasWork(admits?: (stream: string) => boolean): boolean {
    return this.discovered.size > 0 || this.heldForHistory.size > 0 || (admits ? this.admittedDirtyCount(admits) > 0 : this.dirty.size > 0);
  }

  addWaiter(wake: () => void): void {
    this.waiters.add(wake);
  }

  removeWaiter(wake: () => void): void {
    this.waiters.delete(wake);
  }

  /** Wakes every waiter once. */
  wake(): void {
    // A waiter may register again while woken (a gated wait whose work is still refused).
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Wakes every waiter and ends every wait, gated ones included (closing). */
  wakeAll(): void {
    this.endingAll = true;
    try {
      this.wake();
    } finally {
      this.endingAll = false;
    }
  }

  /** Whether a woken gated wait should end: admitted work, or every wait is being ended. */
  endsGatedWait(admits: ((stream: string) => boolean) | undefined): boolean {
    return this.endingAll || !admits || this.hasWork(admits);
  }

  /** Waits until there is work (see `hasWork`), a wake-up, `signal` aborts or `ms` pass. */
  async waitForWork(signal: AbortSignal, ms: number, admits?: (stream: string) => boolean): Promise<void> {
    if (this.hasWork(admits)) return;
    const stop = new AbortController();
    // Woken by work the gate refuses (a refused stream marked dirty): keep waiting.
    const end = (): void => {
      if (this.endsGatedWait(admits) || signal.aborted) stop.abort(WAIT_ENDED);
      else this.waiters.add(end);
    };
    const onAbort = (): void => stop.abort(WAIT_ENDED);
    signal.addEventListener('abort', onAbort, { once: true });
    this.waiters.add(end);
    await this.clock.sleep(Math.max(0, ms), stop.signal).catch(() => undefined);
    this.waiters.delete(end);
    signal.removeEventListener('abort', onAbort);
  }
}

/** The first `n` members of a set (that `admits` admits, when given), in insertion order, without copying the whole set. */
function firstOf(set: ReadonlySet<string>, n: number, admits?: (value: string) => boolean): string[] {
  const out: string[] = [];
  for (const value of set) {
    if (out.length >= n) break;
    if (!admits || admits(value)) out.push(value);
  }
  return out;
}
