// The load generator of the http, queue and dashboard benchmarks, run as its own process (load-process.ts):
//   node dist-bench/bench/http-load.js '<json LoadOptions>'    one run; prints one JSON LoadResult
//   started with an IPC channel and no argument                  many runs: answers `{ id, options }` messages with
//                                                                `{ id, result }` (or `{ id, error }`), so runs follow
//                                                                one another without starting a process each time
// Every request carries a distinct delivery of the sender asked for (a 1 KB Guuru chat by default, or a 1 KB
// Standard Webhooks event), signed as that sender signs it when the request is built.
import autocannon from 'autocannon';
import { Agent, request as httpRequest } from 'node:http';
import { percentile } from './common.js';
import { signedDelivery, type Sender } from './http-senders.js';

/** What http.bench.ts asks for. */
export interface LoadOptions {
  readonly url: string;
  readonly path: string;
  readonly connections: number;
  readonly seconds: number;
  readonly secret: string;
  /** Who sends: `guuru` (default) or `standard` (Standard Webhooks). */
  readonly sender?: Sender;
  /** Makes this run's bodies distinct from every other run's. */
  readonly tag: string;
  readonly bodyBytes: number;
  /**
   * Requests per second over all connections, sent evenly (see {@link runPaced}); default: as fast as answered
   * (autocannon, a closed loop).
   */
  readonly rate?: number;
  /** Two routes in turn, window by window, under one closed-loop load (see {@link runAlternating}). */
  readonly alternate?: AlternateOptions;
}

/** Windows of `windowMs`, each sending to one of two paths (`path` is then unused). */
export interface AlternateOptions {
  readonly paths: readonly [string, string];
  readonly windowMs: number;
  /** How many windows; an even number, so that pairs of windows are whole. */
  readonly windows: number;
}

/** What one window of an alternating run did: which path it sent to, and how many of its requests got a 2xx. */
export interface AlternateWindow {
  /** 0 or 1: the index in {@link AlternateOptions.paths}. */
  readonly route: 0 | 1;
  readonly ok: number;
}

/** An alternating run's windows, and the 2xx answers per route to requests built after the last window. */
export interface AlternateResult {
  readonly windows: readonly AlternateWindow[];
  readonly afterLastWindow: readonly [number, number];
}

/** What it answers. */
export interface LoadResult {
  /** Completed 2xx responses per second (2xx count over the run's duration). */
  readonly requestsPerSecond: number;
  /** autocannon's own mean of its per-second samples. */
  readonly autocannonRequestsAverage: number;
  readonly durationSeconds: number;
  readonly sent: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** Latency of the 2xx responses in ms, from every response's own time (autocannon's histogram keeps whole ms). */
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly mean: number };
  readonly autocannonLatencyMs: { readonly p50: number; readonly p99: number };
  readonly statusCodes: Record<string, number>;
  /** CPU time of this process (user + system) over the run's duration: 1 = one core busy all the time. */
  readonly cpuCores: number;
  /** For an alternating run: every window, in order. */
  readonly alternate?: AlternateResult;
}

/** autocannon's answers by status code. */
function statusCodesOf(result: autocannon.Result): Record<string, number> {
  const stats = result.statusCodeStats as Record<string, { count: number }>;
  return Object.fromEntries(Object.entries(stats).map(([code, stat]) => [code, stat.count]));
}

function run(options: LoadOptions): Promise<LoadResult> {
  if (options.alternate) return runAlternating(options, options.alternate);
  return options.rate === undefined ? runClosedLoop(options) : runPaced(options, options.rate);
}

/**
 * The route of window `index`, in blocks of two windows ordered A B, B A, A B, …: each block holds one window of
 * each route, and neither route is always the earlier one (a machine that slows down through a block favours
 * neither).
 */
export function routeOfWindow(index: number): 0 | 1 {
  return ((index + 1) >> 1) % 2 === 0 ? 0 : 1;
}

/**
 * One closed-loop load (autocannon, every connection sending its next request when answered) whose requests go to
 * two routes in turn, window by window: a request goes to the route of the window it is built in, and counts for
 * that window when answered. Windows of a few hundred ms alternate faster than a shared machine changes speed, so
 * both routes see the same machine; separate runs seconds apart do not.
 */
function runAlternating(options: LoadOptions, alternate: AlternateOptions): Promise<LoadResult> {
  const sender = options.sender ?? 'guuru';
  const { paths, windowMs, windows } = alternate;
  const ok = new Array<number>(windows).fill(0);
  // autocannon's own clock starts a little after ours: what it sends after the last window is counted apart.
  const afterLastWindow: [number, number] = [0, 0];
  let next = 0;
  let failed = 0;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  // autocannon's per-connection context: its one request in flight (no pipelining) and the window it was built in.
  const windowOf = (context: object) => (context as { window: number }).window;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: (windows * windowMs) / 1000,
        requests: [
          {
            method: 'POST',
            path: paths[0],
            setupRequest: (request, context) => {
              const window = Math.floor((performance.now() - start) / windowMs);
              (context as { window: number }).window = window;
              const { headers, body } = signedDelivery(sender, options.tag, next++, options.bodyBytes, options.secret);
              return { ...request, path: paths[routeOfWindow(window)], headers, body };
            },
            onResponse: (status, _body, context) => {
              const window = windowOf(context);
              if (status < 200 || status >= 300) failed += 1;
              else if (window < windows) ok[window]! += 1;
              else afterLastWindow[routeOfWindow(window)] += 1;
            },
          },
        ],
      },
      (error, result) => {
        if (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        const cpu = process.cpuUsage(cpuBefore);
        const counted = ok.reduce((sum, count) => sum + count, 0);
        resolve({
          requestsPerSecond: counted / ((windows * windowMs) / 1000),
          autocannonRequestsAverage: result.requests.average,
          durationSeconds: result.duration,
          sent: result.requests.sent,
          ok: result['2xx'],
          non2xx: Math.max(result.non2xx, failed),
          errors: result.errors,
          timeouts: result.timeouts,
          latencyMs: { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.mean },
          autocannonLatencyMs: { p50: result.latency.p50, p99: result.latency.p99 },
          statusCodes: statusCodesOf(result),
          cpuCores: (cpu.user + cpu.system) / 1e6 / result.duration,
          alternate: {
            windows: ok.map((count, index) => ({ route: routeOfWindow(index), ok: count })),
            afterLastWindow,
          },
        });
      },
    );
  });
}

/**
 * An open loop at `rate` requests per second, evenly spaced, over `connections` kept-alive connections in turn:
 * `connections` senders, each sending every `connections / rate` seconds on a connection of its own, whether or not
 * the server kept up. autocannon's `overallRate` is not that: each connection sends its share of a second as fast
 * as it is answered at the start of every second, then waits, so every second begins with the server saturated.
 * Latency runs from when a request was due, not from when it went out: a request that waited for its sender's
 * previous answer counts that wait (no coordinated omission).
 */
async function runPaced(options: LoadOptions, rate: number): Promise<LoadResult> {
  const sender = options.sender ?? 'guuru';
  const url = new URL(options.url);
  // One agent of one socket per sender: its requests queue behind each other, as on a sender's one connection.
  const agents = Array.from({ length: options.connections }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  const times: number[] = [];
  const statusCodes: Record<string, number> = {};
  let sent = 0;
  let errors = 0;
  const pending: Promise<void>[] = [];
  const send = (due: number): Promise<void> => {
    const { headers, body } = signedDelivery(sender, options.tag, sent, options.bodyBytes, options.secret);
    const agent = agents[sent % agents.length]!;
    sent += 1;
    return new Promise((resolve) => {
      const request = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: options.path,
          method: 'POST',
          agent,
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        },
        (response) => {
          response.resume();
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            statusCodes[status] = (statusCodes[status] ?? 0) + 1;
            if (status >= 200 && status < 300) times.push(performance.now() - due);
            resolve();
          });
        },
      );
      request.on('error', () => {
        errors += 1;
        resolve();
      });
      request.end(body);
    });
  };
  const cpuBefore = process.cpuUsage();
  const interval = 1000 / rate;
  const start = performance.now();
  const end = start + options.seconds * 1000;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (start + sent * interval <= Math.min(now, end)) pending.push(send(start + sent * interval));
      if (now >= end) resolve();
      else setTimeout(tick, Math.max(0, start + sent * interval - now));
    };
    tick();
  });
  await Promise.all(pending);
  const durationSeconds = (performance.now() - start) / 1000;
  for (const agent of agents) agent.destroy();
  const cpu = process.cpuUsage(cpuBefore);
  const sorted = Float64Array.from(times).sort();
  const latencyMs = {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: times.reduce((sum, time) => sum + time, 0) / Math.max(1, times.length),
  };
  return {
    requestsPerSecond: times.length / durationSeconds,
    autocannonRequestsAverage: times.length / durationSeconds,
    durationSeconds,
    sent,
    ok: times.length,
    non2xx: sent - errors - times.length,
    errors,
    timeouts: 0,
    latencyMs,
    autocannonLatencyMs: { p50: latencyMs.p50, p99: latencyMs.p99 },
    statusCodes,
    cpuCores: (cpu.user + cpu.system) / 1e6 / durationSeconds,
  };
}

/** autocannon, each connection sending its next request as soon as the last is answered. */
function runClosedLoop(options: LoadOptions): Promise<LoadResult> {
  let next = 0;
  const sender = options.sender ?? 'guuru';
  const times: number[] = [];
  const cpuBefore = process.cpuUsage();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.seconds,
        requests: [
          {
            method: 'POST',
            path: options.path,
            // Called for every request: a new delivery (distinct id), signed now as its sender signs it.
            setupRequest: (request) => {
              const { headers, body } = signedDelivery(sender, options.tag, next++, options.bodyBytes, options.secret);
              return { ...request, headers, body };
            },
          },
        ],
      },
      (error, result) => {
        if (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        const cpu = process.cpuUsage(cpuBefore);
        const sorted = Float64Array.from(times).sort();
        const ok = result['2xx'];
        resolve({
          requestsPerSecond: ok / result.duration,
          autocannonRequestsAverage: result.requests.average,
          durationSeconds: result.duration,
          sent: result.requests.sent,
          ok,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          latencyMs: {
            p50: percentile(sorted, 50),
            p99: percentile(sorted, 99),
            mean: times.reduce((sum, time) => sum + time, 0) / Math.max(1, times.length),
          },
          autocannonLatencyMs: { p50: result.latency.p50, p99: result.latency.p99 },
          statusCodes: statusCodesOf(result),
          cpuCores: (cpu.user + cpu.system) / 1e6 / result.duration,
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) times.push(responseTime);
    });
  });
}

if (process.argv[2] !== undefined) {
  const result = await run(JSON.parse(process.argv[2]) as LoadOptions);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else if (process.send) {
  process.on('message', (message: { id: number; options: LoadOptions }) => {
    run(message.options).then(
      (result) => process.send!({ id: message.id, result }),
      (error: unknown) => process.send!({ id: message.id, error: String(error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
} else {
  throw new Error('Give the load options as the argument, or start this process with an IPC channel.');
}
