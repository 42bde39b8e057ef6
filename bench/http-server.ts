// The benchmark app as a process of its own, for benchmarks that compare configurations:
//   BENCH_DASHBOARD=1 node dist-bench/bench/http-server.js
// Prints one JSON line `{ "port": n }` once it listens; exits on SIGTERM. Started with an IPC channel and the
// dashboard, it answers `{ alternate: { windowMs, windows } }` by pausing and resuming the dashboard's recording
// (`WebhooksDashboard.pause()` / `resume()`, the public switch) every `windowMs` (paused first), `windows` times,
// and sends back what each window did: `{ windows: Window[] }`.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebhooksDashboard } from '../lib/entries/dashboard.js';
import { BenchAppModule, HandlerRuns } from './http-app.js';

/** One window of the alternation. */
export interface RecordingWindow {
  readonly recording: boolean;
  /** Its length as it happened, in ms. */
  readonly ms: number;
  /** Deliveries handled in it. */
  readonly handled: number;
  /** This process's CPU time in it, in µs. */
  readonly cpuMicros: number;
  /** Time spent in garbage collection pauses in it, in ms. */
  readonly gcMs: number;
}

/** Garbage collection pause time so far, in ms. */
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });

const app = await NestFactory.create(BenchAppModule, { rawBody: true, logger: false });
await app.listen(0, '127.0.0.1');
const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
process.stdout.write(`${JSON.stringify({ port })}\n`);

async function alternate(windowMs: number, count: number): Promise<RecordingWindow[]> {
  const dashboard = app.get(WebhooksDashboard, { strict: false });
  const runs = app.get(HandlerRuns);
  const windows: RecordingWindow[] = [];
  for (let index = 0; index < count; index += 1) {
    const recording = index % 2 === 1;
    if (recording) dashboard.resume();
    else dashboard.pause();
    const start = performance.now();
    const handledBefore = runs.module;
    const cpuBefore = process.cpuUsage();
    const gcBefore = gcMs;
    await sleep(windowMs);
    const cpu = process.cpuUsage(cpuBefore);
    windows.push({
      recording,
      ms: performance.now() - start,
      handled: runs.module - handledBefore,
      cpuMicros: cpu.user + cpu.system,
      gcMs: gcMs - gcBefore,
    });
  }
  dashboard.resume();
  return windows;
}

process.on('message', (message: { alternate?: { windowMs: number; windows: number } }) => {
  if (!message.alternate) return;
  void alternate(message.alternate.windowMs, message.alternate.windows).then((windows) => process.send?.({ windows }));
});
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
