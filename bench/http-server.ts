// The benchmark app as a process of its own (its options from the environment: see benchAppOptionsFromEnv):
//   BENCH_DASHBOARD=1 node dist-bench/bench/http-server.js
//   BENCH_PLATFORM=fastify BENCH_STANDARD=1 BENCH_DELIVERY_TTL_SECONDS=300 node dist-bench/bench/http-server.js
// Prints one JSON line `{ "port": n }` once it listens; exits on SIGTERM. Started with an IPC channel, it answers
// - `{ snapshot: id }` with `{ snapshot: Snapshot }`: this process's CPU time and GC pauses so far and the handler
//   counters, which bench:http reads around every window of load;
// - `{ alternate: { windowMs, windows } }` (with the dashboard) by pausing and resuming the dashboard's recording
//   (`WebhooksDashboard.pause()` / `resume()`, the public switch) every `windowMs` (paused first), `windows` times,
//   and sends back what each window did: `{ windows: Window[] }`;
// - `{ record: boolean }` (with the dashboard) by resuming or pausing the dashboard's recording, answering
//   `{ recording: boolean }` (bench:profile's dashboard section);
// - `{ profile: 'start' }` by starting the CPU profiler (a sample every 100 µs), and `{ profile: <file> }` by
//   stopping it and writing the profile to that file; both answer `{ profiled: <the same> }` (bench:profile).
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebhooksDashboard } from '../lib/entries/dashboard.js';
import { BenchAppModule, benchAppOptionsFromEnv, HandlerRuns, type HandlerCounts } from './http-app.js';

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

/** What the process has done so far: differences of two are a window's. */
export interface Snapshot {
  readonly id: number;
  /** User + system CPU time of this process, in µs. */
  readonly cpuMicros: number;
  /** Garbage collection pauses, in ms. */
  readonly gcMs: number;
  readonly runs: HandlerCounts;
  /** `performance.now()` of this process, in ms. */
  readonly at: number;
}

/** Garbage collection pause time so far, in ms. */
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });

const { platform } = benchAppOptionsFromEnv();
const app: INestApplication =
  platform === 'fastify'
    ? await NestFactory.create<NestFastifyApplication>(BenchAppModule, new FastifyAdapter(), {
        rawBody: true,
        logger: false,
      })
    : await NestFactory.create(BenchAppModule, { rawBody: true, logger: false });
await app.listen(0, '127.0.0.1');
const runs = app.get(HandlerRuns);
const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
process.stdout.write(`${JSON.stringify({ port })}\n`);

async function alternate(windowMs: number, count: number): Promise<RecordingWindow[]> {
  const dashboard = app.get(WebhooksDashboard, { strict: false });
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

function snapshot(id: number): Snapshot {
  const cpu = process.cpuUsage();
  return { id, cpuMicros: cpu.user + cpu.system, gcMs, runs: runs.snapshot(), at: performance.now() };
}

/** The profiler, between `{ profile: 'start' }` and `{ profile: <file> }` (bench:profile). */
let profiler: Session | undefined;

async function profile(command: string): Promise<void> {
  if (command === 'start') {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: 100 });
    await profiler.post('Profiler.start');
    return;
  }
  const { profile: taken } = await profiler!.post('Profiler.stop');
  profiler!.disconnect();
  profiler = undefined;
  await writeFile(command, JSON.stringify(taken));
}

process.on(
  'message',
  (message: {
    alternate?: { windowMs: number; windows: number };
    snapshot?: number;
    profile?: string;
    record?: boolean;
  }) => {
    if (message.record !== undefined) {
      const dashboard = app.get(WebhooksDashboard, { strict: false });
      if (message.record) dashboard.resume();
      else dashboard.pause();
      process.send?.({ recording: message.record });
      return;
    }
    if (message.profile !== undefined) {
      void profile(message.profile).then(() => process.send?.({ profiled: message.profile }));
      return;
    }
    if (message.snapshot !== undefined) {
      process.send?.({ snapshot: snapshot(message.snapshot) });
      return;
    }
    if (!message.alternate) return;
    void alternate(message.alternate.windowMs, message.alternate.windows).then((windows) =>
      process.send?.({ windows }),
    );
  },
);
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
