import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appendEntry, boundedEntry, MAX_ENTRY_FIELDS } from '../../../src/adapters/redis/entry-bounds';

function wide(n: number): Record<string, string> {
  const entry: Record<string, string> = {};
  for (let i = 0; i < n; i++) entry[`f${i}`] = String(i);
  return entry;
}

describe('settle script arguments for an entry', () => {
  it('are the number of strings, then each field and its value, after what is already there', () => {
    const args: (string | number)[] = ['group', '1-1'];
    appendEntry(args, { type: 'io.flunq.task.completed', taskid: 't1' });
    appendEntry(args, {});
    assert.deepEqual(args, ['group', '1-1', 4, 'type', 'io.flunq.task.completed', 'taskid', 't1', 0]);
  });

  it('keep an entry of exactly MAX_ENTRY_FIELDS fields whole', () => {
    const args: (string | number)[] = [];
    appendEntry(args, wide(MAX_ENTRY_FIELDS));
    assert.equal(args[0], MAX_ENTRY_FIELDS * 2);
    assert.equal(args.length, 1 + MAX_ENTRY_FIELDS * 2);
  });

  it('cut an absurdly wide entry down, keeping the protocol fields and saying how many were dropped', () => {
    const entry = { ...wide(MAX_ENTRY_FIELDS + 500), type: 'io.flunq.task.dlq', taskid: 't1', reason: 'r' };
    const args: (string | number)[] = [];
    appendEntry(args, entry);
    const bounded = boundedEntry(entry);
    assert.equal(Object.keys(bounded).length, MAX_ENTRY_FIELDS);
    assert.equal(bounded['type'], 'io.flunq.task.dlq');
    assert.equal(bounded['taskid'], 't1');
    assert.equal(bounded['reason'], 'r');
    assert.equal(bounded['droppedfields'], String(Object.keys(entry).length - (MAX_ENTRY_FIELDS - 1)));
    assert.equal(args[0], MAX_ENTRY_FIELDS * 2);
    assert.equal(args.length, 1 + MAX_ENTRY_FIELDS * 2);
    assert.equal(args[args.length - 2], 'droppedfields');
  });
});
