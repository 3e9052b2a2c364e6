import { InMemoryDocumentCache } from '../../src/adapters/memory/in-memory-document-cache';
import { FakeClock } from '../support/fake-clock';
import { describeDocumentCacheContract } from './document-cache.contract';

let n = 0;

describeDocumentCacheContract('memory', () => {
  const clock = new FakeClock();
  const cache = new InMemoryDocumentCache(clock, 64 * 1024);
  return Promise.resolve({
    cache,
    maxBodyBytes: 64 * 1024,
    newKey: () => `key-${++n}`,
    elapse: (_key, ms) => clock.advance(ms),
    close: () => cache.close(),
  });
}, { holdsBytes: false });
