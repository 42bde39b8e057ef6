// The load generator of the http, queue and dashboard benchmarks, run as its own process (load-process.ts):
//   node dist-bench/bench/http-load.js '<json LoadOptions>'    one run; prints one JSON LoadResult
//   started with an IPC channel and no argument                  many runs: answers `{ id, options }` messages with
//                                                                `{ id, result }` (or `{ id, error }`), so runs follow
//                                                                one another without starting a process each time
// Every request carries a distinct delivery of the sender asked for (a 1 KB Guuru chat by default, or a 1 KB
// Standard Webhooks event), signed as that sender signs it when the request is built.
import autocannon from 'autocannon';
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
  /** Requests per second over all connections (autocannon's `overallRate`); default: as fast as answered. */
  readonly rate?: number;
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
}

function run(options: LoadOptions): Promise<LoadResult> {
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
        ...(options.rate === undefined ? {} : { overallRate: options.rate }),
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
          statusCodes: Object.fromEntries(
            Object.entries(result.statusCodeStats as Record<string, { count: number }>).map(([code, stat]) => [
              code,
              stat.count,
            ]),
          ),
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
