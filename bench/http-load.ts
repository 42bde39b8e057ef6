// The load generator of the http benchmark, run as its own process by http.bench.ts:
//   node dist-bench/bench/http-load.js '<json LoadOptions>'
// Every request carries a distinct, correctly signed 1 KB Guuru chat; prints one JSON LoadResult.
import autocannon from 'autocannon';
import { createHmac } from 'node:crypto';
import { guuruChatBody, percentile } from './common.js';

/** What http.bench.ts asks for. */
export interface LoadOptions {
  readonly url: string;
  readonly path: string;
  readonly connections: number;
  readonly seconds: number;
  readonly secret: string;
  /** Makes this run's bodies distinct from every other run's. */
  readonly tag: string;
  readonly bodyBytes: number;
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
            // Called for every request: a new chat (distinct id), signed as Guuru signs it.
            setupRequest: (request) => {
              const body = guuruChatBody(options.tag, next++, options.bodyBytes);
              const signature = createHmac('sha256', options.secret).update(body).digest('hex');
              return {
                ...request,
                headers: { 'content-type': 'application/json', 'x-guuru-hmac-sha256': signature },
                body,
              };
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

const options = JSON.parse(process.argv[2] ?? '') as LoadOptions;
const result = await run(options);
process.stdout.write(`${JSON.stringify(result)}\n`);
