import type { HttpClient } from '../../src/application/ports/http-client.port';

/** An HttpClient that answers every request at once with the bench server's response. */
export function fakeHttpClient(): HttpClient {
  const body = new TextEncoder().encode(JSON.stringify({ id: 42, name: 'Rex', status: 'available' }));
  return {
    send: (request) =>
      Promise.resolve({ status: 200, headers: { 'content-type': ['application/json'], 'content-length': [String(body.length)], 'x-trace-id': ['bench'] }, body, url: request.url }),
    close: () => Promise.resolve(),
  };
}
