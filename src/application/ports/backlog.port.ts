/**
 * Work waiting where the executor reads, per location (one workflow's queue of requests, in the
 * backend's own terms), for operators: what no replica has received yet, and what was received and
 * is not settled yet.
 */
export interface LocationBacklog {
  location: string;
  /** Requests no replica of this group has received yet. */
  undelivered: number;
  /** Requests received by some replica and not settled yet. */
  pending: number;
}

export interface BacklogSnapshot {
  /** Epoch ms when the count ended. */
  at: number;
  /** Locations counted. */
  locations: number;
  /** The busiest locations (undelivered plus pending), busiest first; idle ones left out. */
  busiest: LocationBacklog[];
  totals: { undelivered: number; pending: number };
}

/** The last count of the backlog; undefined until a first count ended. */
export interface BacklogView {
  backlog(): BacklogSnapshot | undefined;
}
