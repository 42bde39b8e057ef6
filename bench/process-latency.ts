// Where a request's time goes inside one server process (bench:queue's web processes and its floor server): from
// the moment Node's HTTP server has a request's headers to the moment the answer is written, and how late the
// process's event loop ran. Against the load generator's latency (from when a request was due to its answer), they
// say whether a tail is the process's own (its event loop blocked: a long task, a collection) or outside it (the
// wait for Redis, the load generator, the machine's other processes).
// Read through Node's own diagnostics channels, so the app under test is not changed; the cost is two clock reads and
// a WeakMap entry per request.
import { subscribe } from 'node:diagnostics_channel';
import type { ServerResponse } from 'node:http';
import { createHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** What one process saw since the last {@link LatencyProbe.take}, in ms. */
export interface ProcessLatency {
  /** Requests answered. */
  readonly requests: number;
  /** Request in (headers parsed) to answer written, inside the process. */
  readonly serverMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** How late a 1 ms timer ran: the event loop blocked for that long. */
  readonly eventLoopDelayMs: { readonly p99: number; readonly max: number };
}

export interface LatencyProbe {
  /** What was seen since the last call (or since the probe started), and starts over. */
  take(): ProcessLatency;
}

const NS_PER_MS = 1e6;

/** Starts watching this process's HTTP server(s) and event loop. */
export function watchProcessLatency(): LatencyProbe {
  const serverNs = createHistogram();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const startedAt = new WeakMap<ServerResponse, bigint>();
  subscribe('http.server.request.start', (message) => {
    startedAt.set((message as { response: ServerResponse }).response, process.hrtime.bigint());
  });
  subscribe('http.server.response.finish', (message) => {
    const started = startedAt.get((message as { response: ServerResponse }).response);
    // A histogram takes integers of at least 1.
    if (started !== undefined) serverNs.record(Math.max(1, Number(process.hrtime.bigint() - started)));
  });
  return {
    take() {
      const seen: ProcessLatency = {
        requests: serverNs.count,
        serverMs: {
          p50: serverNs.count > 0 ? serverNs.percentile(50) / NS_PER_MS : NaN,
          p99: serverNs.count > 0 ? serverNs.percentile(99) / NS_PER_MS : NaN,
          max: serverNs.count > 0 ? serverNs.max / NS_PER_MS : NaN,
        },
        eventLoopDelayMs: { p99: delay.percentile(99) / NS_PER_MS, max: delay.max / NS_PER_MS },
      };
      serverNs.reset();
      delay.reset();
      return seen;
    },
  };
}

/**
 * Answers `{ id, latency: true }` over IPC with `{ id, latency: ProcessLatency }`: what the probe saw since the last
 * such message.
 */
export function answerLatencyRequests(probe: LatencyProbe): void {
  process.on('message', (message: { id?: number; latency?: boolean }) => {
    if (message.latency === true) process.send?.({ id: message.id, latency: probe.take() });
  });
}
