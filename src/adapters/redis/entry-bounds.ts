/**
 * Size bounds of an entry appended by the settle script (pure functions, no state).
 */

/**
 * Most fields one appended entry may have. The settle script passes an entry to XADD with Lua's
 * `unpack`, which fails beyond about 8,000 values (Lua C stack); 3,000 fields (6,000 values) stays
 * well below it.
 */
export const MAX_ENTRY_FIELDS = 3000;

/** Fields always kept when an entry must be cut down: the protocol's fields and those of a dead letter. */
const ESSENTIAL_FIELDS = ['id', 'source', 'specversion', 'type', 'time', 'workflowid', 'executionid', 'taskid', 'tenantid', 'data', 'reason', 'attempt'];

/**
 * An entry with at most MAX_ENTRY_FIELDS fields. Only absurd entries are affected (a dead letter
 * copying a request with thousands of fields): the essential fields are kept, then other fields in
 * order until the limit, and `droppedfields` tells how many were left out.
 */
export function boundedEntry(entry: Readonly<Record<string, string>>): Record<string, string> {
  const names = Object.keys(entry);
  if (names.length <= MAX_ENTRY_FIELDS) return { ...entry };
  const out: Record<string, string> = {};
  for (const name of ESSENTIAL_FIELDS) {
    const value = entry[name];
    if (value !== undefined) out[name] = value;
  }
  let kept = Object.keys(out).length;
  const room = MAX_ENTRY_FIELDS - 1; // one for droppedfields
  for (const name of names) {
    if (kept >= room) break;
    if (!(name in out)) {
      out[name] = entry[name] as string;
      kept++;
    }
  }
  out['droppedfields'] = String(names.length - kept);
  return out;
}

/** Appends to `args` the entry's field count (×2) then its fields and values, cut down to MAX_ENTRY_FIELDS when absurdly large. */
export function appendEntry(args: (string | number)[], entry: Readonly<Record<string, string>>): void {
  const at = args.length;
  args.push(0);
  let n = 0;
  for (const field in entry) {
    if (++n > MAX_ENTRY_FIELDS) break;
    args.push(field, entry[field] as string);
  }
  if (n > MAX_ENTRY_FIELDS) {
    args.length = at;
    const bounded = boundedEntry(entry);
    args.push(Object.keys(bounded).length * 2);
    for (const field in bounded) args.push(field, bounded[field] as string);
    return;
  }
  args[at] = n * 2;
}
