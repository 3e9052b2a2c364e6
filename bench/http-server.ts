/** A tiny JSON HTTP server on 127.0.0.1 (a free port), run as its own process; prints the port over IPC. */
import http from 'node:http';

const body = JSON.stringify({ id: 42, name: 'Rex', status: 'available' });
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-trace-id': 'bench' });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('disconnect', () => server.close());
process.on('message', (m: { type: string }) => {
  if (m.type === 'stop') {
    server.closeAllConnections();
    server.close();
  }
});
