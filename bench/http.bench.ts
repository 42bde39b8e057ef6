// Requests per second and latency through one Nest app: the full module against a hand-written guard
// with ValidationPipe and against a bare route, interleaved over rounds, load from a separate process.
//
//   npm run bench:http                                   (BENCH_ROUNDS=5, BENCH_SECONDS=5, BENCH_CONNECTIONS=10)
//   BENCH_ROUNDS=2 BENCH_SECONDS=1 npm run bench:http      (a quick run)
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { signWebhook } from '../lib/index.js';
import {
  codeMarkdown,
  codeState,
  envNumber,
  fmt,
  guuruChatBody,
  machineInfo,
  machineMarkdown,
  markdownTable,
  median,
  ratio,
  rotate,
  writeResults,
} from './common.js';
import { BenchAppModule, GUURU_SECRET, HandlerRuns } from './http-app.js';
import type { LoadResult } from './http-load.js';
import { runLoad } from './load-process.js';

const ROUNDS = Math.round(envNumber('BENCH_ROUNDS', 5));
const SECONDS = envNumber('BENCH_SECONDS', 5);
const WARM_UP_SECONDS = Math.min(2, SECONDS);
const CONNECTIONS = Math.round(envNumber('BENCH_CONNECTIONS', 10));
const BODY_BYTES = 1024;
const TARGET = 0.85;

type VariantName = 'bare' | 'handWritten' | 'module';

interface Variant {
  readonly name: VariantName;
  readonly label: string;
  readonly path: string;
  readonly does: string;
  /** The handler counter that must grow by at least one per 200. */
  readonly counter?: 'module' | 'manual';
}

const VARIANTS: readonly Variant[] = [
  { name: 'bare', label: 'bare route', path: '/bare', does: '`@Post() @HttpCode(200)`, does nothing' },
  {
    name: 'handWritten',
    label: 'hand-written guard',
    path: '/manual/guuru',
    does: 'guard: hex HMAC-SHA256 of `req.rawBody` + `timingSafeEqual`; `ValidationPipe({ whitelist, transform })` on `GuuruChatDto`',
    counter: 'manual',
  },
  {
    name: 'module',
    label: 'full module',
    path: '/webhooks/guuru',
    does: '`WebhooksModule.forRoot({ sources: { guuru } })`: verify, de-duplicate (memory store), parse, validate `GuuruChatDto`, `@WebhookHandler` dispatch',
    counter: 'module',
  },
];

interface Sanity {
  readonly check: string;
  readonly expected: string;
  readonly got: string;
  readonly ok: boolean;
}

async function post(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, text: await response.text() };
}

/**
 * Before any load: both checking routes accept a signed chat, refuse a tampered one and a DTO
 * violation, and the module answers a repeat as a duplicate without running the handler; the
 * load generator signs exactly as the library's signer does.
 */
async function sanityChecks(base: string, runs: HandlerRuns): Promise<Sanity[]> {
  const checks: Sanity[] = [];
  const expect = (check: string, expected: string, got: string) =>
    checks.push({ check, expected, got, ok: expected === got });

  const body = guuruChatBody('sanity', 1, BODY_BYTES);
  const signed = signWebhook({ provider: 'guuru', secret: GUURU_SECRET, payload: body });
  const headers = signed.headers;
  const generatorSignature = createHmac('sha256', GUURU_SECRET).update(body).digest('hex');
  expect(
    'load generator signs as signWebhook does',
    'same signature',
    headers['x-guuru-hmac-sha256'] === generatorSignature ? 'same signature' : 'different signature',
  );
  const tampered = body.replace('"status":"rated"', '"status":"RATED"');
  const badDto = JSON.stringify({ ...(JSON.parse(body) as object), rating: 'five' });
  const badDtoHeaders = signWebhook({ provider: 'guuru', secret: GUURU_SECRET, payload: badDto }).headers;

  for (const [label, path, counter] of [
    ['module', '/webhooks/guuru', 'module'],
    ['hand-written', '/manual/guuru', 'manual'],
  ] as const) {
    const before = runs[counter];
    const first = await post(`${base}${path}`, headers, body);
    expect(
      `${label}: signed chat`,
      '200, handler ran once',
      `${first.status}, handler ran ${runs[counter] - before === 1 ? 'once' : `${runs[counter] - before} times`}`,
    );
    if (label === 'module') {
      const again = await post(`${base}${path}`, headers, body);
      const duplicate = (JSON.parse(again.text) as { duplicate?: boolean }).duplicate === true;
      expect(
        'module: the same chat again',
        '200 duplicate, handler not run',
        `${again.status}${duplicate ? ' duplicate' : ''}, handler ${runs[counter] - before === 1 ? 'not run' : 'ran'}`,
      );
    }
    expect(`${label}: tampered body`, '401', String((await post(`${base}${path}`, headers, tampered)).status));
    expect(
      `${label}: signed chat with rating "five"`,
      '400',
      String((await post(`${base}${path}`, badDtoHeaders, badDto)).status),
    );
  }
  expect('bare route', '200', String((await post(`${base}/bare`, headers, body)).status));
  expect('handler arguments were validated GuuruChatDto instances', '0 wrong', `${runs.wrongArgument} wrong`);
  return checks;
}

interface Measurement extends LoadResult {
  readonly variant: VariantName;
  readonly round: number;
  /** Handler runs during the load, for the routes that have a handler. */
  readonly handlerRuns?: number;
  /** CPU time of the app's process over the run: 1 = one core busy all the time. */
  readonly appCpuCores: number;
}

async function measure(
  variant: Variant,
  round: number,
  seconds: number,
  base: string,
  runs: HandlerRuns,
): Promise<Measurement> {
  const before = variant.counter ? runs[variant.counter] : 0;
  const wrongBefore = runs.wrongArgument;
  const cpuBefore = process.cpuUsage();
  const result = await runLoad({
    url: base,
    path: variant.path,
    connections: CONNECTIONS,
    seconds,
    secret: GUURU_SECRET,
    tag: `r${round}-${variant.name}-${Date.now().toString(36)}`,
    bodyBytes: BODY_BYTES,
  });
  const cpu = process.cpuUsage(cpuBefore);
  await sleep(250); // requests cut off when the load stopped finish here
  const handlerRuns = variant.counter ? runs[variant.counter] - before : undefined;
  const problems: string[] = [];
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    problems.push(`non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts}`);
  }
  // Every 200 ran the handler (a duplicate would be a 200 without a run); a few more runs are requests
  // the server finished after the load generator stopped counting.
  if (handlerRuns !== undefined && (handlerRuns < result.ok || handlerRuns > result.ok + CONNECTIONS)) {
    problems.push(`${result.ok} answers of 200 but ${handlerRuns} handler runs`);
  }
  if (runs.wrongArgument !== wrongBefore) problems.push('a handler got something other than a validated GuuruChatDto');
  if (problems.length > 0) throw new Error(`${variant.label}, round ${round}: ${problems.join('; ')}.`);
  const appCpuCores = (cpu.user + cpu.system) / 1e6 / result.durationSeconds;
  return { ...result, variant: variant.name, round, handlerRuns, appCpuCores };
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const code = codeState();
  const app = await NestFactory.create(BenchAppModule, { rawBody: true, logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  const runs = app.get(HandlerRuns);

  try {
    const sanity = await sanityChecks(base, runs);
    const failed = sanity.filter((check) => !check.ok);
    if (failed.length > 0) throw new Error(`Sanity checks failed: ${JSON.stringify(failed)}`);

    console.log(`http: ${ROUNDS} rounds × ${VARIANTS.length} routes × ${SECONDS} s, ${CONNECTIONS} connections`);
    for (const variant of VARIANTS) await measure(variant, 0, WARM_UP_SECONDS, base, runs);
    const measurements: Measurement[] = [];
    const orders: string[][] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      const order = rotate(VARIANTS, round - 1);
      orders.push(order.map((variant) => variant.name));
      for (const variant of order) {
        const measurement = await measure(variant, round, SECONDS, base, runs);
        measurements.push(measurement);
        console.log(
          `  round ${round} ${variant.label}: ${fmt(measurement.requestsPerSecond)} req/s, ` +
            `p50 ${measurement.latencyMs.p50.toFixed(2)} ms, p99 ${measurement.latencyMs.p99.toFixed(2)} ms`,
        );
        await sleep(250);
      }
    }

    const of = (name: VariantName) => measurements.filter((m) => m.variant === name).sort((a, b) => a.round - b.round);
    const perRound = (top: VariantName, bottom: VariantName) =>
      of(top).map((m, index) => m.requestsPerSecond / of(bottom)[index]!.requestsPerSecond);
    const rows = VARIANTS.map((variant) => {
      const list = of(variant.name);
      return {
        variant: variant.name,
        route: `POST ${variant.path}`,
        does: variant.does,
        medianRequestsPerSecond: median(list.map((m) => m.requestsPerSecond)),
        medianP50Ms: median(list.map((m) => m.latencyMs.p50)),
        medianP99Ms: median(list.map((m) => m.latencyMs.p99)),
        medianAppCpuCores: median(list.map((m) => m.appCpuCores)),
        medianLoadGeneratorCpuCores: median(list.map((m) => m.cpuCores)),
        toBare: median(perRound(variant.name, 'bare')),
        toHandWritten: median(perRound(variant.name, 'handWritten')),
        handlerRunsTotal: list.reduce((sum, m) => sum + (m.handlerRuns ?? 0), 0),
        okTotal: list.reduce((sum, m) => sum + m.ok, 0),
      };
    });
    const moduleRow = rows.find((row) => row.variant === 'module')!;
    const target = {
      target: `full module ≥ ${TARGET} × hand-written guard (requests per second)`,
      value: moduleRow.toHandWritten,
      threshold: TARGET,
      met: moduleRow.toHandWritten >= TARGET,
    };

    const data = {
      benchmark: 'http',
      machine,
      code,
      settings: {
        rounds: ROUNDS,
        secondsPerRun: SECONDS,
        warmUpSecondsPerRoute: WARM_UP_SECONDS,
        connections: CONNECTIONS,
        bodyBytes: BODY_BYTES,
        host: '127.0.0.1',
        loadGenerator: 'autocannon (API) in a separate Node process, one per run',
        order: orders,
        statistic:
          'medians over rounds; a ratio is the median of the per-round ratios; latency from every 2xx response time',
      },
      sanity,
      rows,
      target,
      measurements,
    };

    const table = markdownTable(
      ['route', 'what it does', 'req/s', 'p50 ms', 'p99 ms', '÷ bare', '÷ hand-written', 'CPU: app / autocannon'],
      rows.map((row) => [
        `\`${row.route}\``,
        row.does,
        fmt(row.medianRequestsPerSecond),
        row.medianP50Ms.toFixed(2),
        row.medianP99Ms.toFixed(2),
        ratio(row.toBare),
        ratio(row.toHandWritten),
        `${row.medianAppCpuCores.toFixed(2)} / ${row.medianLoadGeneratorCpuCores.toFixed(2)}`,
      ]),
    );
    const roundsTable = markdownTable(
      ['round', 'order', 'bare req/s', 'hand-written req/s', 'module req/s', 'module ÷ hand-written'],
      orders.map((order, index) => {
        const rps = (name: VariantName) => of(name)[index]!.requestsPerSecond;
        return [
          String(index + 1),
          order.join(' → '),
          fmt(rps('bare')),
          fmt(rps('handWritten')),
          fmt(rps('module')),
          ratio(rps('module') / rps('handWritten')),
        ];
      }),
    );
    const markdown = [
      '# HTTP benchmark',
      '',
      machineMarkdown(machine),
      codeMarkdown(code),
      `- Run: \`npm run bench:http\`; one Nest app (\`NestFactory.create(AppModule, { rawBody: true, logger: false })\`, ` +
        `Express, 127.0.0.1), ${ROUNDS} rounds × ${VARIANTS.length} routes × ${SECONDS} s with ${CONNECTIONS} connections ` +
        `(after ${WARM_UP_SECONDS} s of warm-up per route), route order rotated each round; autocannon runs in a separate ` +
        'process. Medians over rounds; each ratio is the median of the per-round ratios.',
      `- Target: the full module at least ${TARGET} of the hand-written guard: **${target.met ? 'met' : 'missed'}** ` +
        `(${target.value.toFixed(2)}).`,
      '',
      table,
      '',
      'CPU is the median CPU time of each process over a run, in cores (1.00 = one core busy throughout); the app ' +
        'runs on one thread, so near 1.00 means the app, not the load generator, was the limit.',
      '',
      '## Rounds',
      '',
      roundsTable,
      '',
      '## How every module request really ran verification, validation and the handler',
      '',
      `- Every request carries a distinct 1 KB Guuru chat (JSON, the \`id\` field numbered per run and the question ` +
        'padded to size), signed as Guuru signs (hex HMAC-SHA256 of the raw body in `x-guuru-hmac-sha256`) by the ' +
        "load generator's `setupRequest`, so no two deliveries share a delivery id (Guuru's: a digest of the " +
        'signature) and none is answered as a duplicate. The same bodies go to all three routes.',
      '- After each run the handler counter is compared with the 200s autocannon counted: it must be at least as ' +
        'large (a duplicate is a 200 without a run) and at most larger by the connections cut off at the end; any ' +
        'non-2xx, error or timeout aborts the benchmark. The handlers also check that they got a `GuuruChatDto` ' +
        'instance with its fields.',
      `- Totals over the measured rounds: module ${fmt(moduleRow.okTotal)} answers of 200, ` +
        `${fmt(moduleRow.handlerRunsTotal)} handler runs; hand-written ` +
        `${fmt(rows.find((row) => row.variant === 'handWritten')!.okTotal)} answers of 200, ` +
        `${fmt(rows.find((row) => row.variant === 'handWritten')!.handlerRunsTotal)} handler runs.`,
      '- Before the load, on the running app:',
      '',
      ...sanity.map(
        (check) => `  - ${check.check}: ${check.got} (${check.ok ? 'as expected' : `expected ${check.expected}`})`,
      ),
      '',
      'The module stores every delivery id in its default memory store (100 000 entries, the oldest handled ones ' +
        'evicted a tenth at a time), so its numbers include de-duplication. The hand-written route does no ' +
        'de-duplication; the bare route reads nothing but Nest’s JSON parser still parses the body.',
      '',
    ].join('\n');

    // A dashboard run is a comparison, not the reference: it must not overwrite http.md.
    const files = await writeResults(process.env.BENCH_DASHBOARD === '1' ? 'http-dashboard' : 'http', data, markdown);
    console.log(markdown);
    console.log(`written: ${files.join(', ')}`);
  } finally {
    await app.close();
  }
}

await main();
