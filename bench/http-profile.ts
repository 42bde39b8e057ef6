// Where an HTTP delivery's CPU goes: the app of bench:http (bench/http-server.ts), once per route, under the same
// load as bench:http (10 connections, 1 KB bodies, every request signed afresh), profiled by V8's sampling profiler
// (a sample every 100 µs) over the measured window only, after a warm-up. Every sample's function is put in one bucket by the file it is in
// (see BUCKETS); a bucket's time divided by the answered requests is its µs per request.
//   npm run bench:profile                        (both platforms, the Standard Webhooks routes; BENCH_ROUNDS=4 turns
//                                                of BENCH_SECONDS=3 per route)
//   BENCH_PLATFORMS=fastify npm run bench:profile
//   BENCH_PROFILE_DIR=/tmp/profiles npm run bench:profile   (keeps each window's .cpuprofile there, for DevTools)
// Then the same for the dashboard: the app of bench:dashboard (Express, with the dashboard, the Guuru route), its
// recording paused and resumed in turns (BENCH_PROFILE_DASHBOARD=0 leaves it out).
// Profiles are one run each, with the profiler's own cost in them: they say where the time goes, not how fast
// anything is (that is bench:http's ratios). The sum of the buckets is the app's CPU per request.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  codeMarkdown,
  codeState,
  envNumber,
  fmt,
  machineInfo,
  machineMarkdown,
  markdownTable,
  writeResults,
} from './common.js';
import { SECRETS, type Sender } from './http-senders.js';
import { runLoad } from './load-process.js';

const SECONDS = envNumber('BENCH_SECONDS', 3);
const ROUNDS = Math.round(envNumber('BENCH_ROUNDS', 4));
const CONNECTIONS = 10;
const PLATFORMS = (process.env.BENCH_PLATFORMS ?? 'express,fastify').split(',');
const SERVER_SCRIPT = fileURLToPath(new URL('./http-server.js', import.meta.url));
const ROUTES = [
  { path: '/webhooks/standard', name: 'module (`standard-webhooks` source, `SmallEventDto`)' },
  { path: '/manual/standard', name: 'hand-written guard + `ValidationPipe` (`SmallEventDto`)' },
] as const;

/** Buckets, first match wins: a test on the sample's file URL (or, for native code, its function name). */
const BUCKETS: readonly (readonly [string, RegExp])[] = [
  ['garbage collection', /^\(garbage collector\)$/],
  ['socket writes (system call)', /^(writev|writeBuffer|writeUtf8String|writeLatin1String)$/],
  ['the dashboard’s recording (its store, its listener)', /lib\/dashboard\//],
  [
    'outcome events (the recorder, the event, header masking)',
    /lib\/module\/webhook-(outcome-recorder\.service|events)\.js|lib\/core\/header-masking\.js/,
  ],
  [
    'signature check',
    /lib\/(core|providers)\/|node:internal\/crypto|bench\/http-app\.js|^(hash|compare|base64Write|latin1Write|base64Slice)$/,
  ],
  ['de-duplication (memory store)', /lib\/deliveries\//],
  [
    'validation (class-transformer, class-validator, ValidationPipe)',
    /class-validator|class-transformer|libphonenumber|@nestjs\/common\/pipes|lib\/module\/webhook-payload\.validator/,
  ],
  ['the module’s own steps (guard, processing, dispatch, answer)', /lib\/(module|http)\//],
  ['Nest (router, guards, interceptors, params)', /@nestjs\//],
  ['the platform (HTTP parsing, routing, body parsing, replies)', /node_modules\/|node:/],
];
const OTHER = 'other (microtasks, native calls)';
const IGNORED = /^\((idle|program|root)\)$/;

interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string };
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

interface RouteProfile {
  readonly platform: string;
  readonly path: string;
  readonly requests: number;
  readonly cpuMicrosPerRequest: number;
  readonly buckets: Record<string, number>;
}

function bucketOf(functionName: string, url: string): string | undefined {
  if (IGNORED.test(functionName)) return undefined;
  for (const [bucket, test] of BUCKETS) if (test.test(url) || (url === '' && test.test(functionName))) return bucket;
  return OTHER;
}

function summarize(profile: CpuProfile, requests: number): Record<string, number> {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const micros: Record<string, number> = {};
  profile.samples.forEach((id, index) => {
    const frame = frames.get(id)!;
    const bucket = bucketOf(frame.functionName, frame.url);
    if (bucket) micros[bucket] = (micros[bucket] ?? 0) + (profile.timeDeltas[index] ?? 0) / requests;
  });
  return micros;
}

/** Sends `message` to the app and waits for the answer whose `field` holds `value`. */
function command(child: ChildProcess, message: object, field: string, value: unknown): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (answer: Record<string, unknown>) => {
      if (answer[field] !== value) return;
      child.off('message', onMessage);
      resolve();
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

/**
 * Starts the app's profiler (`'start'`), or stops it and has it write the profile to the file named; the app answers
 * `{ profiled }`.
 */
function profilerCommand(child: ChildProcess, profile: string): Promise<void> {
  return command(child, { profile }, 'profiled', profile);
}

/** Adds `from` into `into`, bucket by bucket. */
function addInto(into: Record<string, number>, from: Record<string, number>): void {
  for (const [bucket, micros] of Object.entries(from)) into[bucket] = (into[bucket] ?? 0) + micros;
}

/** One of the two things profiled in turns in one app: a route, or a route with the dashboard's recording set. */
interface Turn {
  readonly path: string;
  readonly sender: Sender;
  /** Sent to the app before each of this turn's windows: the dashboard's switch, if any. */
  readonly prepare?: (child: ChildProcess) => Promise<void>;
}

/** A turn's profile: µs of app CPU per answered request, by bucket. */
interface TurnProfile {
  readonly requests: number;
  readonly cpuMicrosPerRequest: number;
  readonly buckets: Record<string, number>;
}

/**
 * One app process (bench/http-server.ts with `env`) profiled in turns (ROUNDS of SECONDS per turn, the order
 * alternating), so that both turns see the same process and the same machine.
 */
async function profileTurns(name: string, env: Record<string, string>, turns: readonly [Turn, Turn]) {
  const kept = process.env.BENCH_PROFILE_DIR;
  const dir = kept ? join(kept, name) : mkdtempSync(join(tmpdir(), 'http-profile-'));
  if (kept) mkdirSync(dir, { recursive: true });
  const child = spawn(process.execPath, [SERVER_SCRIPT], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const lines = createInterface({ input: child.stdout! });
  const { port } = JSON.parse(await new Promise<string>((resolve) => lines.once('line', resolve))) as { port: number };
  const load = async (turn: Turn, seconds: number, tag: string) => {
    await turn.prepare?.(child);
    // Only the measured window is profiled: start-up, warm-up and the switch are not a delivery's cost.
    if (tag.startsWith('profile-')) await profilerCommand(child, 'start');
    return runLoad({
      url: `http://127.0.0.1:${port}`,
      path: turn.path,
      connections: CONNECTIONS,
      seconds,
      secret: SECRETS[turn.sender],
      sender: turn.sender,
      tag,
      bodyBytes: 1024,
    });
  };
  for (const [index, turn] of turns.entries()) await load(turn, 3, `warm-${name}-${index}`);
  const totals: { micros: Record<string, number>; requests: number }[] = turns.map(() => ({ micros: {}, requests: 0 }));
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const index of round % 2 === 0 ? [0, 1] : [1, 0]) {
      const result = await load(turns[index]!, SECONDS, `profile-${name}-${round}-${index}`);
      const file = join(dir, `${round}-${index}.cpuprofile`);
      await profilerCommand(child, file);
      const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
      addInto(totals[index]!.micros, summarize(profile, 1));
      totals[index]!.requests += result.ok;
    }
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  if (!kept) rmSync(dir, { recursive: true, force: true });
  return totals.map(({ micros, requests }): TurnProfile => {
    const buckets = Object.fromEntries(Object.entries(micros).map(([bucket, total]) => [bucket, total / requests]));
    const cpuMicrosPerRequest = Object.values(buckets).reduce((sum, value) => sum + value, 0);
    return { requests, cpuMicrosPerRequest, buckets };
  });
}

/** One app process per platform serving both routes (the module's and the hand-written one), in turns. */
async function profilePlatform(platform: string): Promise<RouteProfile[]> {
  const env = { BENCH_PLATFORM: platform, BENCH_STANDARD: '1', BENCH_DELIVERY_TTL_SECONDS: '300' };
  const turns = ROUTES.map((route): Turn => ({ path: route.path, sender: 'standard' }));
  const profiled = await profileTurns(platform, env, [turns[0]!, turns[1]!]);
  return ROUTES.map((route, index) => ({ platform, path: route.path, ...profiled[index]! }));
}

/** Asks the app (with the dashboard) to pause or resume its recording, and waits until it did. */
function setRecording(child: ChildProcess, record: boolean): Promise<void> {
  return command(child, { record }, 'recording', record);
}

/**
 * The app of bench:dashboard (Express, the dashboard's memory store, the Guuru route, deliveries remembered for
 * 30 s), its recording paused and resumed in turns: where what recording costs goes.
 */
async function profileDashboard(): Promise<{ paused: TurnProfile; recording: TurnProfile }> {
  const env = { BENCH_DASHBOARD: '1', BENCH_DELIVERY_TTL_SECONDS: '30' };
  const [paused, recording] = await profileTurns('dashboard', env, [
    { path: '/webhooks/guuru', sender: 'guuru', prepare: (child) => setRecording(child, false) },
    { path: '/webhooks/guuru', sender: 'guuru', prepare: (child) => setRecording(child, true) },
  ]);
  return { paused: paused!, recording: recording! };
}

const profiles: RouteProfile[] = [];
for (const platform of PLATFORMS) {
  console.log(`profiling ${platform}`);
  profiles.push(...(await profilePlatform(platform)));
}

const withDashboard = process.env.BENCH_PROFILE_DASHBOARD !== '0';
if (withDashboard) console.log('profiling the dashboard');
const dashboard = withDashboard ? await profileDashboard() : undefined;

const bucketNames = [...BUCKETS.map(([name]) => name), OTHER];

/** Two profiles side by side, bucket by bucket, and their difference. */
function comparison(first: TurnProfile, second: TurnProfile, names: readonly [string, string, string]): string {
  const difference = (a: number, b: number) => `${a - b >= 0 ? '+' : ''}${fmt(a - b, 1)}`;
  const rows = bucketNames.map((bucket) => {
    const a = first.buckets[bucket] ?? 0;
    const b = second.buckets[bucket] ?? 0;
    return [bucket, fmt(a, 1), fmt(b, 1), difference(a, b)];
  });
  rows.push([
    '**all**',
    `**${fmt(first.cpuMicrosPerRequest, 1)}**`,
    `**${fmt(second.cpuMicrosPerRequest, 1)}**`,
    `**${difference(first.cpuMicrosPerRequest, second.cpuMicrosPerRequest)}**`,
  ]);
  return markdownTable(['µs of app CPU per request, by bucket', ...names], rows);
}

const sections = PLATFORMS.map((platform) => {
  const [module, manual] = ROUTES.map((route) =>
    profiles.find((p) => p.platform === platform && p.path === route.path)!,
  );
  return [
    `## ${platform}`,
    '',
    comparison(module!, manual!, [ROUTES[0].name, ROUTES[1].name, 'module − hand-written']),
  ].join('\n');
});
if (dashboard) {
  sections.push(
    [
      '## The dashboard’s recording (express, `POST /webhooks/guuru`)',
      '',
      'The app of bench:dashboard (`WebhooksDashboardModule` with its memory store, deliveries remembered for 30 s), ' +
        'its recording paused (`WebhooksDashboard.pause()`: nothing listens for outcomes, so no outcome event is ' +
        'built) and resumed in turns, under the same load of distinct 1 KB Guuru chats. What recording costs is the ' +
        'last column; the buckets that recording does not touch differ only by the run’s noise.',
      '',
      comparison(dashboard.recording, dashboard.paused, ['recording', 'paused', 'recording − paused']),
    ].join('\n'),
  );
}
const markdown = [
  '# Where an HTTP delivery’s CPU goes',
  '',
  machineMarkdown(machineInfo()),
  codeMarkdown(codeState()),
  `- Run: \`npm run bench:profile\`; the app of bench:http, one process per platform serving both routes, ` +
    `${CONNECTIONS} connections, 3 s of warm-up per route, then ${ROUNDS} rounds of ${SECONDS} s per route (the ` +
    "order alternating) under V8's sampling profiler (a sample every 100 µs), 1 KB Standard Webhooks deliveries " +
    'signed ' +
    'afresh. One run each, with the profiler’s own cost in it: the split of the time, not a speed (bench:http has ' +
    'the ratios). Buckets by the file each sampled function is in (bench/http-profile.ts, `BUCKETS`). ' +
    (dashboard
      ? 'Then the app of bench:dashboard, the same way, its recording paused and resumed in turns (the last section).'
      : ''),
  '',
  ...sections,
  '',
].join('\n');
const files = await writeResults(process.env.BENCH_RESULTS_NAME ?? 'http-profile', { profiles, dashboard }, markdown);
console.log(`written: ${files.join(', ')}`);
