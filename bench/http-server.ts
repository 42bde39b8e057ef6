// The benchmark app as a process of its own, for benchmarks that compare two configurations side by side:
//   BENCH_DASHBOARD=1 node dist-bench/bench/http-server.js
// Prints one JSON line `{ "port": n }` once it listens; exits on SIGTERM. Started with an IPC channel, it
// pauses or resumes the dashboard's recording on `{ recording: boolean }` and answers the same message.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DashboardRecorder } from '../lib/dashboard/dashboard-recorder.service.js';
import { BenchAppModule } from './http-app.js';

const app = await NestFactory.create(BenchAppModule, { rawBody: true, logger: false });
await app.listen(0, '127.0.0.1');
const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.on('message', (message: { recording?: unknown }) => {
  if (typeof message.recording !== 'boolean') return;
  const recorder = app.get(DashboardRecorder, { strict: false });
  if (message.recording) recorder.resume();
  else recorder.pause();
  process.send?.({ recording: message.recording });
});
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
