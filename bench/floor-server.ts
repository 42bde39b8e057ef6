// The floor under bench:queue's paced latency: a Node HTTP server that does nothing but read each request's body and
// answer 200 with a fixed JSON receipt, in a process of its own. The same paced load against it, in the same rounds,
// shows what the machine, the loopback network and the load generator add to the p99 of any server: no library, no
// Nest, no Express, no Redis.
//   node dist-bench/bench/floor-server.js
// Prints one JSON line `{ "port": n }` once it listens; exits on SIGTERM. Over IPC it answers `{ id, latency: true }`
// with what happened inside it since the last such message (process-latency.ts), as the web processes do.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerLatencyRequests, watchProcessLatency } from './process-latency.js';

answerLatencyRequests(watchProcessLatency());

const RECEIPT = JSON.stringify({ received: true, queued: true });
const HEADERS = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(RECEIPT) };

const server = createServer((request, response) => {
  // Read to the end, as any server must before it answers a delivery.
  request.on('data', () => undefined);
  request.on('end', () => {
    response.writeHead(200, HEADERS);
    response.end(RECEIPT);
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
process.once('SIGTERM', () => process.exit(0));
