/**
 * The domain and the application speak of tasks, events, outcomes and dead letters, never of a
 * transport: no stream keys, entry ids, field maps, consumer groups, subjects or backend names in
 * their code (comments may name examples). dependency-cruiser keeps their imports clean; this keeps
 * their vocabulary clean, so that a new backend needs no change above the adapters.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const ROOT = path.resolve(__dirname, '..', '..', '..');
// `application/octet-stream` is a media type, not a transport.
const FORBIDDEN = /\b(?<!octet-)(stream|streams|streamKey|entryId|entryIds|StreamFields|fields\[|XADD|XACK|XREADGROUP|XAUTOCLAIM|consumerGroup|redis|ioredis|nats|jetstream|subject|kafka|rabbitmq|amqp)\b/i;
/** Wire spellings, case-sensitive: the flat attribute names of the stream binding, in quotes. */
const WIRE = /['"`](workflowid|executionid|taskid|tenantid)['"`]|\b(workflowid|executionid|taskid|tenantid)\s*:/;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(p));
    else if (entry.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** The code without comments (strings stay: messages must not name a transport either). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

describe('layers above the adapters', () => {
  for (const layer of ['src/domain', 'src/application']) {
    it(`${layer} names no transport in its code`, () => {
      const offences: string[] = [];
      for (const file of sources(path.join(ROOT, layer))) {
        code(fs.readFileSync(file, 'utf8'))
          .split('\n')
          .forEach((line, i) => {
            const m = FORBIDDEN.exec(line) ?? WIRE.exec(line);
            if (m) offences.push(`${path.relative(ROOT, file)}:${i + 1}: ${m[0]}`);
          });
      }
      assert.deepEqual(offences, []);
    });
  }

  it('catches an offence (the check itself works)', () => {
    assert.match(code("const key = streamKey(t, w); // a stream"), FORBIDDEN);
    assert.match(code("const id = body['taskid'];"), WIRE);
    assert.doesNotMatch(code('for (const [k, v] of Object.entries(o)) use(taskId, k, v);'), WIRE);
    assert.doesNotMatch(code('const x = 1; // the stream of a workflow'), FORBIDDEN);
    assert.doesNotMatch(code("const type = 'application/octet-stream';"), FORBIDDEN);
  });
});
