// Requests per second, latency and server CPU per request of the full module against what users write by hand (a
// guard that checks the signature + ValidationPipe), on Express and on Fastify, for two DTOs:
//   - Guuru's chat (GuuruChatDto, 12 fields and a nested user), Guuru's hex HMAC of the body;
//   - a small event (SmallEventDto: a type, an id, a nested object) from a Standard Webhooks source, where the
//     library's own fixed cost per delivery is not hidden behind validation.
// Each platform is an app process of its own (bench/http-server.ts), loaded in turn from one separate autocannon
// process (bench/http-load.ts, kept up between runs) that signs every request afresh. Every route runs alone in
// rounds (its requests per second, latency and CPU per request). The targets' ratios, module ÷ hand-written, come
// from one load per comparison that alternates the two routes every BENCH_WINDOW_MS (200 ms): windows that short
// see the same machine, where runs seconds apart on a shared machine do not; the ratio of their requests with a
// 95 % bootstrap interval over the BENCH_PAIRS (250) pairs of windows.
//
//   npm run bench:http                                    (BENCH_ROUNDS=10, BENCH_SECONDS=3, BENCH_CONNECTIONS=10)
//   BENCH_ROUNDS=2 BENCH_SECONDS=2 BENCH_PAIRS=20 npm run bench:http   (a quick run: checks the harness only)
//   BENCH_PLATFORMS=fastify npm run bench:http              (one platform)
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { signWebhook } from '../lib/index.js';
import {
  bootstrapMedian,
  bootstrapStatistic,
  codeMarkdown,
  codeState,
  envNumber,
  fmt,
  machineInfo,
  machineMarkdown,
  markdownTable,
  median,
  ratio,
  ratioInterval,
  rotate,
  writeResults,
  type Interval,
} from './common.js';
import type { HandlerCounts, Platform } from './http-app.js';
import type { LoadResult } from './http-load.js';
import {
  GUURU_SECRET,
  SECRETS,
  signedDelivery,
  smallEventBody,
  STANDARD_SECRET,
  standardSignature,
  type Sender,
} from './http-senders.js';
import type { Snapshot } from './http-server.js';
import { startLoadGenerator, type LoadGenerator } from './load-process.js';

const ROUNDS = Math.round(envNumber('BENCH_ROUNDS', 10));
const SECONDS = envNumber('BENCH_SECONDS', 3);
const WARM_UP_SECONDS = Math.min(3, SECONDS);
const CONNECTIONS = Math.round(envNumber('BENCH_CONNECTIONS', 10));
/** Pairs of windows, and their length, of the alternating loads that measure the targets' ratios. */
const PAIRS = Math.round(envNumber('BENCH_PAIRS', 250));
const WINDOW_MS = Math.round(envNumber('BENCH_WINDOW_MS', 200));
const BODY_BYTES = 1024;
/** The issue's target: the module at least as fast as the hand-written route, on the interval's lower bound. */
const TARGET = 1.0;
const CONFIDENCE = 0.95;
const PLATFORMS = (process.env.BENCH_PLATFORMS ?? 'express,fastify').split(',').map((name): Platform => {
  const platform = name.trim();
  if (platform !== 'express' && platform !== 'fastify')
    throw new Error(`Unknown platform in BENCH_PLATFORMS: ${platform}`);
  return platform;
});
/**
 * The module's memory delivery store remembers a handled delivery 300 s (the Standard Webhooks window, the least it
 * may) and up to a million of them: a run sends far more distinct deliveries than the default 100,000 a day.
 */
const DELIVERY_TTL_SECONDS = 300;
const MAX_ENTRIES = Math.round(envNumber('BENCH_MAX_ENTRIES', 1_000_000));
const SERVER_SCRIPT = fileURLToPath(new URL('./http-server.js', import.meta.url));

type VariantName = 'bare' | 'guuruHand' | 'guuruModule' | 'smallHand' | 'smallModule';

interface Variant {
  readonly name: VariantName;
  readonly label: string;
  readonly path: string;
  readonly sender: Sender;
  readonly does: string;
  /** The handler counter that must grow by one per 200. */
  readonly counter?: Exclude<keyof HandlerCounts, 'wrongArgument'>;
}

const VARIANTS: readonly Variant[] = [
  {
    name: 'bare',
    label: 'bare route',
    path: '/bare',
    sender: 'guuru',
    does: '`@Post() @HttpCode(200)`, does nothing (the platform still parses the JSON)',
  },
  {
    name: 'guuruHand',
    label: 'Guuru, hand-written',
    path: '/manual/guuru',
    sender: 'guuru',
    does: 'guard: hex HMAC-SHA256 of `req.rawBody` + `timingSafeEqual`; `ValidationPipe({ whitelist, transform })` on `GuuruChatDto`',
    counter: 'manual',
  },
  {
    name: 'guuruModule',
    label: 'Guuru, module',
    path: '/webhooks/guuru',
    sender: 'guuru',
    does: '`WebhooksModule`: verify, de-duplicate (memory store), validate `GuuruChatDto`, `@WebhookHandler` dispatch',
    counter: 'module',
  },
  {
    name: 'smallHand',
    label: 'small DTO, hand-written',
    path: '/manual/standard',
    sender: 'standard',
    does:
      'Standard Webhooks guard: 300 s window, HMAC-SHA256 of `id.timestamp.body` with the `whsec_` key, base64 ' +
      'compared with `timingSafeEqual`; `ValidationPipe({ whitelist, transform })` on `SmallEventDto`',
    counter: 'manualStandard',
  },
  {
    name: 'smallModule',
    label: 'small DTO, module',
    path: '/webhooks/standard',
    sender: 'standard',
    does:
      '`WebhooksModule` (`standard-webhooks` source): verify, de-duplicate (memory store), validate `SmallEventDto`, ' +
      '`@WebhookHandler` dispatch',
    counter: 'moduleStandard',
  },
];

/** The comparisons the targets are about: module ÷ hand-written, per DTO. */
const COMPARISONS = [
  { dto: 'guuru', label: 'Guuru chat (`GuuruChatDto`)', module: 'guuruModule', hand: 'guuruHand' },
  {
    dto: 'small',
    label: 'small DTO (`SmallEventDto`), Standard Webhooks',
    module: 'smallModule',
    hand: 'smallHand',
  },
] as const satisfies readonly { dto: string; label: string; module: VariantName; hand: VariantName }[];

// ---- The app processes ---------------------------------------------------------------------------------------

interface Server {
  readonly platform: Platform;
  readonly child: ChildProcess;
  readonly base: string;
}

async function startServer(platform: Platform): Promise<Server> {
  const child = spawn(process.execPath, [SERVER_SCRIPT], {
    env: {
      ...process.env,
      BENCH_PLATFORM: platform,
      BENCH_STANDARD: '1',
      BENCH_DASHBOARD: '0',
      BENCH_DELIVERY_TTL_SECONDS: String(DELIVERY_TTL_SECONDS),
      BENCH_MAX_ENTRIES: String(MAX_ENTRIES),
    },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`The ${platform} app exited with ${code} before listening.`)));
    lines.once('line', resolve);
  });
  const { port } = JSON.parse(first) as { port: number };
  return { platform, child, base: `http://127.0.0.1:${port}` };
}

async function stopServer(server: Server): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

let snapshots = 0;

/** The app's CPU time, GC pauses and handler counters so far, asked over IPC. */
function snapshotOf(server: Server): Promise<Snapshot> {
  const id = (snapshots += 1);
  return new Promise((resolve) => {
    const listener = (message: { snapshot?: Snapshot }) => {
      if (message.snapshot?.id !== id) return;
      server.child.off('message', listener);
      resolve(message.snapshot);
    };
    server.child.on('message', listener);
    server.child.send({ snapshot: id });
  });
}

// ---- Sanity checks -------------------------------------------------------------------------------------------

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

/** The load generator signs both senders exactly as the library's signer does. */
function signerChecks(): Sanity[] {
  const checks: Sanity[] = [];
  const guuru = signedDelivery('guuru', 'sanity', 1, BODY_BYTES, GUURU_SECRET);
  const byLibrary = signWebhook({ provider: 'guuru', secret: GUURU_SECRET, payload: guuru.body }).headers;
  const same = (a: string | undefined, b: string | undefined) => (a !== undefined && a === b ? 'same' : 'different');
  checks.push({
    check: 'load generator signs a Guuru chat as signWebhook does',
    expected: 'same',
    got: same(guuru.headers['x-guuru-hmac-sha256'], byLibrary['x-guuru-hmac-sha256']),
    ok: guuru.headers['x-guuru-hmac-sha256'] === byLibrary['x-guuru-hmac-sha256'],
  });
  const standard = signedDelivery('standard', 'sanity', 1, BODY_BYTES, STANDARD_SECRET);
  const library = signWebhook({
    provider: 'standard-webhooks',
    secret: STANDARD_SECRET,
    payload: Buffer.from(standard.body),
    id: standard.headers['webhook-id'],
    timestamp: new Date(Number(standard.headers['webhook-timestamp']) * 1000),
  }).headers;
  const got = same(standard.headers['webhook-signature'], library['webhook-signature']);
  checks.push({
    check: 'load generator signs a Standard Webhooks event as signWebhook does',
    expected: 'same',
    got,
    ok: got === 'same',
  });
  return checks;
}

/**
 * Before any load, on the running app: each checking route accepts a signed delivery and runs its handler once,
 * refuses a tampered one (401) and a DTO violation (400); the Standard Webhooks routes refuse a delivery signed 301 s
 * ago (401); the module answers a repeat as a duplicate without running the handler.
 */
async function sanityChecks(server: Server): Promise<Sanity[]> {
  const checks: Sanity[] = [];
  const name = server.platform;
  const expect = (check: string, expected: string, got: string) =>
    checks.push({ check: `${name}: ${check}`, expected, got, ok: expected === got });
  const counts = async () => (await snapshotOf(server)).runs;

  const guuru = signedDelivery('guuru', `sanity-${name}`, 1, BODY_BYTES, GUURU_SECRET);
  const guuruTampered = guuru.body.replace('"status":"rated"', '"status":"RATED"');
  const guuruBad = JSON.stringify({ ...(JSON.parse(guuru.body) as object), rating: 'five' });
  const guuruBadHeaders = signWebhook({ provider: 'guuru', secret: GUURU_SECRET, payload: guuruBad }).headers;

  const small = signedDelivery('standard', `sanity-${name}`, 1, BODY_BYTES, STANDARD_SECRET);
  const smallTampered = small.body.replace('"invoice.paid"', '"invoice.void"');
  const signStandard = (body: string, id: string, timestamp: number) => ({
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': standardSignature(id, String(timestamp), body),
  });
  const now = Math.floor(Date.now() / 1000);
  const smallBadBody = JSON.stringify({
    ...(JSON.parse(smallEventBody(`sanity-${name}`, 2, BODY_BYTES)) as object),
    data: { invoiceId: 'in_1', amountCents: 'a lot', note: '' },
  });
  const smallBad = { body: smallBadBody, headers: signStandard(smallBadBody, `msg_bad_${name}`, now) };
  const oldBody = smallEventBody(`sanity-${name}`, 3, BODY_BYTES);
  const smallOld = { body: oldBody, headers: signStandard(oldBody, `msg_old_${name}`, now - 301) };

  const cases = [
    {
      label: 'Guuru, module',
      path: '/webhooks/guuru',
      counter: 'module',
      ok: guuru,
      tampered: { ...guuru, body: guuruTampered },
      bad: { headers: guuruBadHeaders, body: guuruBad },
      old: undefined,
      duplicate: true,
    },
    {
      label: 'Guuru, hand-written',
      path: '/manual/guuru',
      counter: 'manual',
      ok: guuru,
      tampered: { ...guuru, body: guuruTampered },
      bad: { headers: guuruBadHeaders, body: guuruBad },
      old: undefined,
      duplicate: false,
    },
    {
      label: 'small DTO, module',
      path: '/webhooks/standard',
      counter: 'moduleStandard',
      ok: small,
      tampered: { ...small, body: smallTampered },
      bad: smallBad,
      old: smallOld,
      duplicate: true,
    },
    {
      label: 'small DTO, hand-written',
      path: '/manual/standard',
      counter: 'manualStandard',
      ok: small,
      tampered: { ...small, body: smallTampered },
      bad: smallBad,
      old: smallOld,
      duplicate: false,
    },
  ] as const;

  for (const item of cases) {
    const url = `${server.base}${item.path}`;
    const before = (await counts())[item.counter];
    const first = await post(url, item.ok.headers, item.ok.body);
    const ran = (await counts())[item.counter] - before;
    expect(
      `${item.label}: a signed delivery`,
      '200, handler ran once',
      `${first.status}, handler ran ${ran === 1 ? 'once' : `${ran} times`}`,
    );
    if (item.duplicate) {
      const again = await post(url, item.ok.headers, item.ok.body);
      const duplicate = (JSON.parse(again.text) as { duplicate?: boolean }).duplicate === true;
      const ranAgain = (await counts())[item.counter] - before - ran;
      expect(
        `${item.label}: the same delivery again`,
        '200 duplicate, handler not run',
        `${again.status}${duplicate ? ' duplicate' : ''}, handler ${ranAgain === 0 ? 'not run' : 'ran'}`,
      );
    }
    expect(
      `${item.label}: tampered body`,
      '401',
      String((await post(url, item.tampered.headers, item.tampered.body)).status),
    );
    expect(`${item.label}: a DTO violation`, '400', String((await post(url, item.bad.headers, item.bad.body)).status));
    if (item.old) {
      expect(
        `${item.label}: signed 301 s ago`,
        '401',
        String((await post(url, item.old.headers, item.old.body)).status),
      );
    }
  }
  expect('bare route', '200', String((await post(`${server.base}/bare`, guuru.headers, guuru.body)).status));
  expect('handler arguments were validated DTO instances', '0 wrong', `${(await counts()).wrongArgument} wrong`);
  return checks;
}

// ---- One window of load -------------------------------------------------------------------------------------

interface Measurement extends LoadResult {
  readonly platform: Platform;
  readonly variant: VariantName;
  readonly round: number;
  /** Handler runs during the load, for the routes that have a handler. */
  readonly handlerRuns?: number;
  /** The app's CPU time (user + system) per answered request, in µs. */
  readonly appCpuMicrosPerRequest: number;
  /** The app's garbage collection pauses per answered request, in µs. */
  readonly appGcMicrosPerRequest: number;
  /** The app's CPU time over the window, in cores (1 = one core busy all the time). */
  readonly appCpuCores: number;
}

async function measure(
  load: LoadGenerator,
  server: Server,
  variant: Variant,
  round: number,
  seconds: number,
): Promise<Measurement> {
  const before = await snapshotOf(server);
  const result = await load.run({
    url: server.base,
    path: variant.path,
    connections: CONNECTIONS,
    seconds,
    secret: SECRETS[variant.sender],
    sender: variant.sender,
    tag: `r${round}-${server.platform[0]}-${variant.name}-${Date.now().toString(36)}`,
    bodyBytes: BODY_BYTES,
  });
  await sleep(100); // requests cut off when the load stopped finish here
  const after = await snapshotOf(server);
  const handlerRuns = variant.counter ? after.runs[variant.counter] - before.runs[variant.counter] : undefined;
  const problems: string[] = [];
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0 || result.ok === 0) {
    problems.push(
      `${result.ok} answers of 2xx, non-2xx ${result.non2xx} (${JSON.stringify(result.statusCodes)}), ` +
        `errors ${result.errors}, timeouts ${result.timeouts}`,
    );
  }
  // Every 200 ran the handler once (a duplicate would be a 200 without a run); a few more runs are requests the
  // server finished after the load generator stopped counting.
  if (handlerRuns !== undefined && (handlerRuns < result.ok || handlerRuns > result.ok + CONNECTIONS)) {
    problems.push(`${result.ok} answers of 200 but ${handlerRuns} handler runs`);
  }
  if (after.runs.wrongArgument !== before.runs.wrongArgument) {
    problems.push('a handler got something other than a validated DTO instance');
  }
  if (problems.length > 0) {
    throw new Error(`${server.platform}, ${variant.label}, round ${round}: ${problems.join('; ')}.`);
  }
  const cpuMicros = after.cpuMicros - before.cpuMicros;
  return {
    ...result,
    platform: server.platform,
    variant: variant.name,
    round,
    handlerRuns,
    appCpuMicrosPerRequest: cpuMicros / result.ok,
    appGcMicrosPerRequest: ((after.gcMs - before.gcMs) * 1000) / result.ok,
    appCpuCores: cpuMicros / 1e6 / ((after.at - before.at) / 1000),
  };
}

// ---- The alternating loads ----------------------------------------------------------------------------------

/** One comparison measured by alternating its two routes under one load. */
interface Alternation {
  readonly platform: Platform;
  readonly dto: (typeof COMPARISONS)[number]['dto'];
  /** Requests answered 2xx per pair of windows: the module's window and the hand-written route's. */
  readonly pairs: readonly { readonly module: number; readonly hand: number }[];
  /** Σ module ÷ Σ hand-written over the pairs, with its bootstrap interval over the pairs. */
  readonly requestsPerSecond: Interval;
  readonly handlerRuns: { readonly module: number; readonly hand: number };
  readonly loadGeneratorCpuCores: number;
}

const variantNamed = (name: VariantName): Variant => VARIANTS.find((variant) => variant.name === name)!;

/** Requests of the module's windows ÷ those of the hand-written route's windows (all windows are as long). */
function pairRatio(pairs: readonly { readonly module: number; readonly hand: number }[]): number {
  let module = 0;
  let hand = 0;
  for (const pair of pairs) {
    module += pair.module;
    hand += pair.hand;
  }
  return module / hand;
}

async function alternateRoutes(
  load: LoadGenerator,
  server: Server,
  comparison: (typeof COMPARISONS)[number],
  seed: number,
): Promise<Alternation> {
  const module = variantNamed(comparison.module);
  const hand = variantNamed(comparison.hand);
  const before = await snapshotOf(server);
  const result = await load.run({
    url: server.base,
    path: module.path,
    connections: CONNECTIONS,
    seconds: (2 * PAIRS * WINDOW_MS) / 1000,
    secret: SECRETS[module.sender],
    sender: module.sender,
    tag: `alt-${server.platform[0]}-${comparison.dto}-${Date.now().toString(36)}`,
    bodyBytes: BODY_BYTES,
    alternate: { paths: [module.path, hand.path], windowMs: WINDOW_MS, windows: 2 * PAIRS },
  });
  await sleep(100); // requests cut off when the load stopped finish here
  const after = await snapshotOf(server);
  const windows = result.alternate?.windows ?? [];
  const [moduleLate, handLate] = result.alternate?.afterLastWindow ?? [0, 0];
  const pairs = Array.from({ length: PAIRS }, (_, index) => {
    const [first, second] = [windows[2 * index]!, windows[2 * index + 1]!];
    return first.route === 0 ? { module: first.ok, hand: second.ok } : { module: second.ok, hand: first.ok };
  });
  const handlerRuns = {
    module: after.runs[module.counter!] - before.runs[module.counter!],
    hand: after.runs[hand.counter!] - before.runs[hand.counter!],
  };
  const counted = {
    module: pairs.reduce((sum, p) => sum + p.module, 0),
    hand: pairs.reduce((sum, p) => sum + p.hand, 0),
  };
  const problems: string[] = [];
  if (windows.length !== 2 * PAIRS) problems.push(`${windows.length} windows instead of ${2 * PAIRS}`);
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    problems.push(`non-2xx ${result.non2xx} (${JSON.stringify(result.statusCodes)}), errors ${result.errors}`);
  }
  // Every 200 ran its route's handler once (those after the last window too); a few more runs are requests the
  // server finished after the load generator stopped counting.
  const answered = { module: counted.module + moduleLate, hand: counted.hand + handLate };
  for (const side of ['module', 'hand'] as const) {
    if (handlerRuns[side] < answered[side] || handlerRuns[side] > answered[side] + CONNECTIONS) {
      problems.push(`${side}: ${answered[side]} answers of 200 but ${handlerRuns[side]} handler runs`);
    }
  }
  if (after.runs.wrongArgument !== before.runs.wrongArgument) {
    problems.push('a handler got something other than a validated DTO instance');
  }
  if (problems.length > 0) {
    throw new Error(`${server.platform}, ${comparison.dto} alternating: ${problems.join('; ')}.`);
  }
  return {
    platform: server.platform,
    dto: comparison.dto,
    pairs,
    requestsPerSecond: bootstrapStatistic(pairs, pairRatio, { confidence: CONFIDENCE, seed }),
    handlerRuns,
    loadGeneratorCpuCores: result.cpuCores,
  };
}

// ---- Statistics and the report ---------------------------------------------------------------------------------

/** Per-round ratios of `pick` (module ÷ hand-written) and their bootstrap interval. */
function ratioOver(
  rounds: readonly { module: Measurement; hand: Measurement }[],
  pick: (measurement: Measurement) => number,
  seed: number,
): Interval & { readonly perRound: number[] } {
  const perRound = rounds.map(({ module, hand }) => pick(module) / pick(hand));
  return { ...bootstrapMedian(perRound, { confidence: CONFIDENCE, seed }), perRound };
}

function micros(value: number): string {
  return Number.isFinite(value) ? fmt(value, value < 100 ? 1 : 0) : 'n/a';
}

function interval(value: Interval, digits = 2): string {
  if (!Number.isFinite(value.low)) return 'n/a';
  return `${value.low.toFixed(digits)}–${value.high.toFixed(digits)}`;
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const code = codeState();
  const loadBefore = loadavg();
  const signer = signerChecks();
  if (signer.some((check) => !check.ok)) throw new Error(`Sanity checks failed: ${JSON.stringify(signer)}`);

  const servers: Server[] = [];
  const load = startLoadGenerator();
  try {
    for (const platform of PLATFORMS) servers.push(await startServer(platform));
    const sanity = [...signer];
    for (const server of servers) sanity.push(...(await sanityChecks(server)));
    const failed = sanity.filter((check) => !check.ok);
    if (failed.length > 0) throw new Error(`Sanity checks failed: ${JSON.stringify(failed, undefined, 2)}`);

    console.log(
      `http: ${ROUNDS} rounds × ${servers.length} platforms × ${VARIANTS.length} routes × ${SECONDS} s, ` +
        `${CONNECTIONS} connections (load average ${loadBefore.map((value) => value.toFixed(1)).join(', ')})`,
    );
    for (const server of servers) {
      for (const variant of VARIANTS) await measure(load, server, variant, 0, WARM_UP_SECONDS);
    }
    const measurements: Measurement[] = [];
    const orders: string[][] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      // The platforms take turns going first; the routes' order turns every round.
      const platformOrder = round % 2 === 1 ? servers : [...servers].reverse();
      const order: string[] = [];
      for (const server of platformOrder) {
        for (const variant of rotate(VARIANTS, round - 1)) {
          const measurement = await measure(load, server, variant, round, SECONDS);
          measurements.push(measurement);
          order.push(`${server.platform}:${variant.name}`);
          console.log(
            `  round ${round} ${server.platform} ${variant.label}: ${fmt(measurement.requestsPerSecond)} req/s, ` +
              `p50 ${measurement.latencyMs.p50.toFixed(2)} ms, p99 ${measurement.latencyMs.p99.toFixed(2)} ms, ` +
              `${micros(measurement.appCpuMicrosPerRequest)} µs CPU/request`,
          );
        }
      }
      orders.push(order);
    }
    // The targets' ratios: each comparison's two routes alternating under one load.
    const alternations: Alternation[] = [];
    let alternationSeed = 0xa17e;
    for (const server of servers) {
      for (const comparison of COMPARISONS) {
        const alternation = await alternateRoutes(load, server, comparison, (alternationSeed += 1));
        alternations.push(alternation);
        console.log(
          `  alternating ${server.platform} ${comparison.dto}: module ÷ hand-written ` +
            `${ratioInterval(alternation.requestsPerSecond)} over ${PAIRS} pairs of ${WINDOW_MS} ms windows`,
        );
      }
    }
    const loadAfter = loadavg();

    const of = (platform: Platform, name: VariantName) =>
      measurements.filter((m) => m.platform === platform && m.variant === name).sort((a, b) => a.round - b.round);
    let seed = 0x5eed;
    const rows = servers.flatMap(({ platform }) =>
      VARIANTS.map((variant) => {
        const list = of(platform, variant.name);
        const bare = of(platform, 'bare');
        return {
          platform,
          variant: variant.name,
          label: variant.label,
          route: `POST ${variant.path}`,
          does: variant.does,
          requestsPerSecond: bootstrapMedian(
            list.map((m) => m.requestsPerSecond),
            { seed: (seed += 1) },
          ),
          p50Ms: median(list.map((m) => m.latencyMs.p50)),
          p99Ms: median(list.map((m) => m.latencyMs.p99)),
          appCpuMicrosPerRequest: bootstrapMedian(
            list.map((m) => m.appCpuMicrosPerRequest),
            { seed: (seed += 1) },
          ),
          appGcMicrosPerRequest: median(list.map((m) => m.appGcMicrosPerRequest)),
          appCpuCores: median(list.map((m) => m.appCpuCores)),
          loadGeneratorCpuCores: median(list.map((m) => m.cpuCores)),
          toBare: median(list.map((m, index) => m.requestsPerSecond / bare[index]!.requestsPerSecond)),
          okTotal: list.reduce((sum, m) => sum + m.ok, 0),
          handlerRunsTotal: list.reduce((sum, m) => sum + (m.handlerRuns ?? 0), 0),
        };
      }),
    );
    const comparisons = servers.flatMap(({ platform }) =>
      COMPARISONS.map((comparison) => {
        const hand = of(platform, comparison.hand);
        const rounds = of(platform, comparison.module).map((module, index) => ({ module, hand: hand[index]! }));
        const alternation = alternations.find((a) => a.platform === platform && a.dto === comparison.dto)!;
        const requestsPerSecond = alternation.requestsPerSecond;
        const extra = rounds.map(({ module, hand }) => module.appCpuMicrosPerRequest - hand.appCpuMicrosPerRequest);
        return {
          platform,
          dto: comparison.dto,
          label: comparison.label,
          module: comparison.module,
          handWritten: comparison.hand,
          /** From the alternating load: the target's measure. */
          requestsPerSecond,
          alternatingPairs: alternation.pairs,
          alternatingHandlerRuns: alternation.handlerRuns,
          /** The same ratio from the rounds' separate runs, seconds apart: context, not the target's measure. */
          requestsPerSecondSeparateRuns: ratioOver(rounds, (m) => m.requestsPerSecond, (seed += 1)),
          p50: ratioOver(rounds, (m) => m.latencyMs.p50, (seed += 1)),
          p99: ratioOver(rounds, (m) => m.latencyMs.p99, (seed += 1)),
          appCpuMicrosPerRequest: ratioOver(rounds, (m) => m.appCpuMicrosPerRequest, (seed += 1)),
          /** The module's CPU per delivery minus the hand-written route's, in µs. */
          extraCpuMicrosPerRequest: { ...bootstrapMedian(extra, { seed: (seed += 1) }), perRound: extra },
          target: {
            target: `${platform}, ${comparison.dto}: module ≥ ${TARGET.toFixed(1)} × hand-written (requests per second)`,
            threshold: TARGET,
            met: requestsPerSecond.low >= TARGET,
          },
        };
      }),
    );

    const data = {
      benchmark: 'http',
      machine,
      code,
      loadAverage: { before: loadBefore, after: loadAfter },
      settings: {
        platforms: servers.map((server) => server.platform),
        rounds: ROUNDS,
        secondsPerRun: SECONDS,
        warmUpSecondsPerRoute: WARM_UP_SECONDS,
        connections: CONNECTIONS,
        bodyBytes: BODY_BYTES,
        host: '127.0.0.1',
        deliveryTtlSeconds: DELIVERY_TTL_SECONDS,
        maxEntries: MAX_ENTRIES,
        apps: 'one process of bench/http-server.ts per platform (BENCH_PLATFORM=express|fastify, BENCH_STANDARD=1)',
        loadGenerator:
          'autocannon (API) in one separate Node process, kept up across runs; every request signed afresh',
        order: orders,
        alternatingPairs: PAIRS,
        alternatingWindowMs: WINDOW_MS,
        statistic:
          'targets: per comparison, one closed-loop load alternating the module and the hand-written route every ' +
          `${WINDOW_MS} ms (windows in pairs, A B then B A), the ratio of their 2xx answers over all pairs with a ` +
          `${CONFIDENCE * 100} % percentile bootstrap interval (2,000 resamples of the pairs, seeded); met when the ` +
          'lower bound ≥ 1.0. Latency, CPU and the separate-run ratios: per round, the median over rounds with a ' +
          'bootstrap interval (10,000 resamples of the rounds, seeded)',
        appCpu:
          "the app process's process.cpuUsage() (user + system), asked over IPC before and after each run, ÷ the 2xx answers",
      },
      sanity,
      comparisons,
      rows,
      measurements,
    };

    const summary = markdownTable(
      ['platform', 'DTO', 'req/s module ÷ hand-written', `≥ ${TARGET.toFixed(1)}`, 'CPU/request module ÷ hand-written'],
      comparisons.map((c) => [
        c.platform === 'express' ? 'Express' : 'Fastify',
        c.label,
        ratioInterval(c.requestsPerSecond),
        c.target.met ? 'met' : 'missed',
        ratioInterval(c.appCpuMicrosPerRequest),
      ]),
    );
    const comparisonTable = markdownTable(
      [
        'platform',
        'DTO',
        'req/s ratio [95 %]',
        'p50 ratio [95 %]',
        'p99 ratio [95 %]',
        'CPU/request ratio [95 %]',
        'extra µs CPU/request [95 %]',
      ],
      comparisons.map((c) => [
        c.platform,
        c.label,
        ratioInterval(c.requestsPerSecondSeparateRuns),
        ratioInterval(c.p50),
        ratioInterval(c.p99),
        ratioInterval(c.appCpuMicrosPerRequest),
        `${micros(c.extraCpuMicrosPerRequest.estimate)} [${interval(c.extraCpuMicrosPerRequest, 1)}]`,
      ]),
    );
    const variantTable = markdownTable(
      [
        'platform',
        'route',
        'what it does',
        'req/s [95 %]',
        'p50 ms',
        'p99 ms',
        'µs CPU/request [95 %]',
        'µs GC/request',
        '÷ bare',
        'CPU cores: app / autocannon',
      ],
      rows.map((row) => [
        row.platform,
        `\`${row.route}\``,
        row.does,
        `${fmt(row.requestsPerSecond.estimate)} [${fmt(row.requestsPerSecond.low)}–${fmt(row.requestsPerSecond.high)}]`,
        row.p50Ms.toFixed(2),
        row.p99Ms.toFixed(2),
        `${micros(row.appCpuMicrosPerRequest.estimate)} [${micros(row.appCpuMicrosPerRequest.low)}–${micros(row.appCpuMicrosPerRequest.high)}]`,
        micros(row.appGcMicrosPerRequest),
        ratio(row.toBare),
        `${row.appCpuCores.toFixed(2)} / ${row.loadGeneratorCpuCores.toFixed(2)}`,
      ]),
    );
    const roundsTable = markdownTable(
      [
        'round',
        ...servers.flatMap(({ platform }) => [`${platform} Guuru req/s ratio`, `${platform} small req/s ratio`]),
      ],
      Array.from({ length: ROUNDS }, (_, index) => [
        String(index + 1),
        ...comparisons.map((c) => ratio(c.requestsPerSecondSeparateRuns.perRound[index]!)),
      ]),
    );
    const alternationTable = markdownTable(
      [
        'platform',
        'DTO',
        'module ÷ hand-written [95 %]',
        'answers: module / hand-written windows',
        'handler runs: module / hand-written',
        'same ratio from separate runs [95 %]',
      ],
      comparisons.map((c) => [
        c.platform,
        c.label,
        ratioInterval(c.requestsPerSecond),
        `${fmt(c.alternatingPairs.reduce((sum, p) => sum + p.module, 0))} / ` +
          fmt(c.alternatingPairs.reduce((sum, p) => sum + p.hand, 0)),
        `${fmt(c.alternatingHandlerRuns.module)} / ${fmt(c.alternatingHandlerRuns.hand)}`,
        ratioInterval(c.requestsPerSecondSeparateRuns),
      ]),
    );
    const runs = (platform: Platform, name: VariantName) =>
      rows.find((r) => r.platform === platform && r.variant === name)!;
    const markdown = [
      '# HTTP benchmark',
      '',
      machineMarkdown(machine),
      codeMarkdown(code),
      `- Load average (1, 5, 15 min): ${loadBefore.map((v) => v.toFixed(2)).join(', ')} at the start, ` +
        `${loadAfter.map((v) => v.toFixed(2)).join(', ')} at the end`,
      `- Run: \`npm run bench:http\`; one Nest app process per platform (${servers.map((s) => s.platform).join(', ')}; ` +
        '`rawBody: true`, 127.0.0.1), each serving every route below; ' +
        `${ROUNDS} rounds, in each of which every platform in turn (the first alternating) runs every route for ` +
        `${SECONDS} s with ${CONNECTIONS} connections, the routes' order rotated each round (after ${WARM_UP_SECONDS} s ` +
        'of warm-up per route); autocannon runs in one separate process, kept up between runs, signing every request ' +
        `afresh. Then, for each comparison, one load of ${(2 * PAIRS * WINDOW_MS) / 1000} s alternating its two routes ` +
        `every ${WINDOW_MS} ms (${PAIRS} pairs of windows).`,
      '',
      '<!-- summary -->',
      '',
      `Requests per second of the full module (verify, de-duplicate, validate, dispatch) ÷ a hand-written guard with ` +
        `\`ValidationPipe\`, same app, 1 KB JSON, ${CONNECTIONS} connections, under one load that alternates the two ` +
        `routes every ${WINDOW_MS} ms: the ratio of their answers over ${PAIRS} pairs of windows, with its ` +
        `${CONFIDENCE * 100} % bootstrap interval over the pairs. A target (≥ ${TARGET.toFixed(1)}) counts as met only ` +
        "when the interval's lower bound clears it. CPU per request is the app's, module ÷ hand-written, from " +
        `${ROUNDS} rounds of separate runs (below 1: the module is cheaper).`,
      '',
      summary,
      '',
      '<!-- /summary -->',
      '',
      '## Module ÷ hand-written, alternating',
      '',
      `One closed-loop load per comparison (autocannon, ${CONNECTIONS} connections), each request sent to the route ` +
        `of the ${WINDOW_MS} ms window it is built in; windows come in pairs, module first then hand-written first in ` +
        'turn, so neither is always the earlier. Windows this short alternate faster than the shared machine changes ' +
        'speed, so both routes see the same machine; runs seconds apart do not (the last column, and the rounds below, ' +
        'show how far apart separate runs land). Every counted 200 ran its handler: the handler runs are at least the ' +
        'answers, and at most a few more (requests sent after the last window).',
      '',
      alternationTable,
      '',
      '## Module ÷ hand-written, separate runs',
      '',
      'Each ratio is module ÷ hand-written in the same round (req/s: higher is better for the module; latency and CPU: ' +
        'lower is). "Extra µs CPU/request" is the difference, module minus hand-written, of the app\'s CPU time per ' +
        "answered request: the library's own cost per delivery beyond what the hand-written route does (plus " +
        'de-duplication, which the hand-written route does not do).',
      '',
      comparisonTable,
      '',
      '## Routes',
      '',
      variantTable,
      '',
      "Medians over rounds; req/s and CPU with their 95 % bootstrap intervals. CPU is the app process's own " +
        '(`process.cpuUsage()` before and after each run, over IPC), divided by the answered requests. "CPU cores" is ' +
        'CPU time over the run: the app runs on one thread, so near 1.00 means the app, not the load generator, was ' +
        'the limit.',
      '',
      '## Rounds',
      '',
      roundsTable,
      '',
      '## How every module request really ran verification, validation and the handler',
      '',
      `- Every request is a distinct 1 KB delivery signed by the load generator's \`setupRequest\` as it is sent: ` +
        'Guuru chats (the `id` numbered per run, the question padded; hex HMAC-SHA256 of the body in ' +
        '`x-guuru-hmac-sha256`, so the delivery id, a digest of the signature, is new each time) and Standard Webhooks ' +
        'events (`webhook-id` numbered per run, `webhook-timestamp` the current second, `v1,` base64 HMAC of ' +
        '`id.timestamp.body`; the nested `note` padded). No delivery is answered as a duplicate.',
      '- After each run the handler counter of the route is compared with the 200s autocannon counted: it must be ' +
        'at least as large (a duplicate is a 200 without a run) and at most larger by the connections cut off at the ' +
        'end; any non-2xx, error or timeout aborts the benchmark. The handlers check that they got a DTO instance ' +
        'with its fields.',
      ...servers.map(
        ({ platform }) =>
          `- ${platform}, totals over the measured rounds: ` +
          (['guuruModule', 'guuruHand', 'smallModule', 'smallHand'] as const)
            .map(
              (name) =>
                `${runs(platform, name).label}: ${fmt(runs(platform, name).okTotal)} answers of 200, ` +
                `${fmt(runs(platform, name).handlerRunsTotal)} handler runs`,
            )
            .join('; ') +
          '.',
      ),
      '- Before the load, on the running apps:',
      '',
      ...sanity.map(
        (check) => `  - ${check.check}: ${check.got} (${check.ok ? 'as expected' : `expected ${check.expected}`})`,
      ),
      '',
      `The module remembers every delivery id in its memory store (here for ${DELIVERY_TTL_SECONDS} s, up to ` +
        `${fmt(MAX_ENTRIES)} entries, since a run sends far more than the default 100,000 distinct deliveries), so ` +
        'its numbers include de-duplication; the hand-written routes do none. The bare route reads nothing, but the ' +
        'platform still parses the JSON body.',
      '',
    ].join('\n');

    const files = await writeResults(process.env.BENCH_RESULTS_NAME ?? 'http', data, markdown);
    console.log(markdown);
    console.log(`written: ${files.join(', ')}`);
  } finally {
    await Promise.all([load.close(), ...servers.map(stopServer)]);
  }
}

await main();
