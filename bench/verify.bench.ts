// Every sender's verification against its own node:crypto floor, and Standard Webhooks against the
// `standardwebhooks` package: interleaved in one run, ratios with bootstrap intervals.
//
//   npm run bench:verify                                              (15 rounds of 100 ms per variant)
//   BENCH_ROUNDS=4 BENCH_SLICE_MS=30 npm run bench:verify              (a quick run)
//   BENCH_ONLY=stripe,svix BENCH_SIZES=1 npm run bench:verify          (some senders, some sizes)
//   BENCH_RESULTS_NAME=verify.before npm run bench:verify              (results under another name)
import 'reflect-metadata';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import {
  hmacProvider,
  signWebhook,
  verifyWebhook,
  WebhookVerificationError,
  WebhookVerifier,
  type WebhookProvider,
  type WebhookSecret,
} from '../lib/index.js';
import { SENDER_FIXTURES } from '../test/senders/index.js';
import { githubSender } from '../test/senders/github.sender.js';
import type { SenderFixture, WireDelivery } from '../test/senders/sender-fixture.js';
import {
  bootstrapMedian,
  codeMarkdown,
  codeState,
  envNumber,
  fmt,
  machineInfo,
  machineMarkdown,
  markdownTable,
  median,
  paddingText,
  ratioInterval,
  rotate,
  writeResults,
  type Interval,
} from './common.js';

/**
 * V8's young generation, capped at 1 MB so that it is collected every few milliseconds: each
 * variant then pays for its own garbage within its own chunks, rather than whichever variant
 * happens to run when a 16 MB nursery fills. The bench runs itself again with it when needed.
 */
const HEAP_FLAG = '--max-semi-space-size=1';
if (!process.execArgv.includes(HEAP_FLAG)) {
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, HEAP_FLAG, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  process.exit(child.status ?? 1);
}

const ROUNDS = Math.round(envNumber('BENCH_ROUNDS', 15));
const SLICE_MS = envNumber('BENCH_SLICE_MS', 100);
/** Each variant's slice of a round is cut into this many chunks, taken in turn with the other variants'. */
const CHUNKS = Math.round(envNumber('BENCH_CHUNKS', 4));
const OUT = process.env.BENCH_RESULTS_NAME || 'verify';
const CONFIDENCE = 0.95;

const FLOOR_TARGET_64KB = 0.8;
const FLOOR_TARGET_1KB = 0.7;
const STANDARDWEBHOOKS_TARGET = 4;

/** The URL every delivery is sent to (Twilio, Square and HubSpot sign it). */
const URL = 'https://hooks.example.com/webhooks/incoming?tenant=acme';

const SIZES = [
  { label: '1 KB', bytes: 1024 },
  { label: '64 KB', bytes: 64 * 1024 },
] as const;
type Size = (typeof SIZES)[number];

/** What the floor does: an HMAC, a public-key check, or a constant-time compare of a token. */
type FloorKind = 'hmac' | 'public-key' | 'token';

/** One row of the bench: a sender, its configuration, its deliveries and its floor. */
interface BenchSender {
  /** The row's name. */
  readonly name: string;
  /** What `verifyWebhook` and `WebhookVerifier` are given as `provider`. */
  readonly provider: string | WebhookProvider;
  readonly secret: WebhookSecret;
  readonly kind: FloorKind;
  readonly signsUrl: boolean;
  /** Where the delivery comes from and how it was scaled, for the results. */
  readonly source: string;
  /** A delivery of `bytes` body bytes (or more, when the sender's own is larger), signed at `now`. */
  delivery(bytes: number, now: Date): Promise<ScaledDelivery>;
  /** The floor: the least node:crypto work to check the delivery. */
  floor(input: { delivery: WireDelivery; url: string }): boolean;
  /** What the floor computes. */
  readonly floorNote: string;
  /** A delivery changed so that its signature no longer holds (default: a byte of the body). */
  tamper?(delivery: WireDelivery): WireDelivery;
  /** The sender's SDK (or documented check) on a scaled delivery, where there is one. */
  sdkAccepts?(input: { delivery: WireDelivery; url: string; now: Date }): Promise<boolean> | boolean;
}

interface ScaledDelivery {
  readonly wire: WireDelivery;
  /** Where in the body the padding starts (for the tamper check), or -1. */
  readonly paddedAt: number;
}

// ---------------------------------------------------------------------------------------------
// Padding a delivery to a size

/**
 * Inserts `extra` bytes of ASCII text at the start of the string value of the first `"field":`
 * of a JSON body, leaving every other byte as the sender wrote it (pretty-printing, escapes).
 */
function padJson(body: Buffer, field: string, extra: number): { body: Buffer; at: number } {
  const text = body.toString('utf8');
  const match = new RegExp(`"${field.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}"\\s*:\\s*"`).exec(text);
  if (!match) throw new Error(`No string field "${field}" in the body.`);
  const at = Buffer.byteLength(text.slice(0, match.index + match[0].length));
  const padded = Buffer.concat([body.subarray(0, at), Buffer.from(paddingText(extra)), body.subarray(at)]);
  JSON.parse(padded.toString('utf8'));
  return { body: padded, at };
}

/** The same for a form body (`application/x-www-form-urlencoded`): spaces written as `+`. */
function padForm(body: Buffer, field: string, extra: number): { body: Buffer; at: number } {
  const text = body.toString('utf8');
  const match = new RegExp(`(?:^|&)${field}=`).exec(text);
  if (!match) throw new Error(`No form field "${field}" in the body.`);
  const at = Buffer.byteLength(text.slice(0, match.index + match[0].length));
  const padding = Buffer.from(paddingText(extra).replace(/ /g, '+'));
  return { body: Buffer.concat([body.subarray(0, at), padding, body.subarray(at)]), at };
}

/** Header names as the fixture wrote them, values from the re-signed delivery where it has them. */
function mergeHeaders(original: Record<string, string>, signed: Record<string, string>): Record<string, string> {
  const merged: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(original)) {
    const lower = name.toLowerCase();
    seen.add(lower);
    merged[name] = signed[lower] ?? value;
  }
  for (const [name, value] of Object.entries(signed)) if (!seen.has(name)) merged[name] = value;
  return merged;
}

/**
 * A preset's realistic delivery (from its fixture: signed by the sender's SDK where it signs),
 * padded to `bytes` in the string field `padField` and signed again with `signWebhook`
 * (the preset's own signer, which each fixture's spec checks against the SDK).
 */
async function scaleFixtureDelivery(
  fixture: SenderFixture,
  provider: string | WebhookProvider,
  padField: string,
  bytes: number,
  now: Date,
): Promise<ScaledDelivery> {
  const original = await fixture.delivery({ url: URL, now });
  let extra = bytes - original.body.length;
  if (extra <= 0) return { wire: original, paddedAt: -1 };
  const form = /x-www-form-urlencoded/i.test(headerValue(original.headers, 'content-type') ?? '');
  // The signer may rewrite parts of the body (Mailgun's signature object): pad, sign, measure, again.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const { body, at } = (form ? padForm : padJson)(original.body, padField, extra);
    const signed = signWebhook({
      provider,
      secret: fixture.secret,
      privateKey: fixture.privateKey,
      payload: body,
      timestamp: now,
      url: URL,
    });
    const wire: WireDelivery = { headers: mergeHeaders(original.headers, signed.headers), body: signed.body };
    if (signed.body.length === bytes) {
      // Where the padding is in the signed body (the signer may have moved it).
      const start = paddingText(Math.min(extra, 32));
      const offset = signed.body.indexOf(form ? start.replace(/ /g, '+') : start);
      return { wire, paddedAt: offset >= 0 ? offset : at };
    }
    extra += bytes - signed.body.length;
  }
  throw new Error(`${fixture.provider}: could not pad the body to ${bytes} bytes.`);
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name) return headers[key];
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The senders

/** The string field each preset's delivery is padded in: human text where the sender has some. */
const PAD_FIELDS: Readonly<Record<string, string>> = {
  github: 'message',
  gitlab: 'title',
  bitbucket: 'message',
  stripe: 'name',
  shopify: 'title',
  slack: 'text',
  twilio: 'Body',
  discord: 'name',
  sendgrid: 'useragent',
  mailgun: 'subject',
  paddle: 'description',
  lemonsqueezy: 'product_name',
  square: 'note',
  zoom: 'topic',
  linear: 'title',
  intercom: 'body',
  hubspot: 'propertyValue',
  typeform: 'title',
  calendly: 'answer',
  svix: 'description',
  clerk: 'user_agent',
  resend: 'subject',
  twitch: 'user_name',
  razorpay: 'description',
  vercel: 'githubCommitMessage',
};

/** Presets whose floor is not an HMAC. */
const FLOOR_KINDS: Readonly<Record<string, FloorKind>> = {
  discord: 'public-key',
  sendgrid: 'public-key',
  gitlab: 'token',
};

/** Presets whose signature does not cover the body, and what is changed instead for the tamper check. */
const TAMPERS: Readonly<Record<string, (delivery: WireDelivery) => WireDelivery>> = {
  gitlab: (delivery) => withHeader(delivery, 'x-gitlab-token', (value) => `${value.slice(0, -1)}x`),
  mailgun: (delivery) => {
    const text = delivery.body.toString('utf8');
    const json = JSON.parse(text) as { signature: { token: string } };
    const token = json.signature.token;
    const changed = `${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`;
    return { ...delivery, body: Buffer.from(text.replace(token, changed)) };
  },
};

function withHeader(delivery: WireDelivery, name: string, change: (value: string) => string): WireDelivery {
  const headers = { ...delivery.headers };
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name) headers[key] = change(headers[key]!);
  return { ...delivery, headers };
}

function presetSender(fixture: SenderFixture): BenchSender {
  const padField = PAD_FIELDS[fixture.provider];
  if (!padField) throw new Error(`No padding field for ${fixture.provider}.`);
  const kind = FLOOR_KINDS[fixture.provider] ?? 'hmac';
  return {
    name: fixture.provider,
    provider: fixture.provider,
    secret: fixture.secret,
    kind,
    signsUrl: fixture.signsUrl === true,
    source: `${fixture.signedBy}; padded in \`${padField}\``,
    delivery: (bytes, now) => scaleFixtureDelivery(fixture, fixture.provider, padField, bytes, now),
    floor: (input) => fixture.floor(input),
    floorNote: `the fixture's \`floor\` (test/senders/${fixture.provider}.sender.ts)`,
    tamper: TAMPERS[fixture.provider],
    sdkAccepts: fixture.sdkAccepts?.bind(fixture),
  };
}

/** GitHub declared with `hmacProvider`, as its documentation's example does. */
const githubHmacProvider = hmacProvider({
  name: 'github',
  signatureHeader: 'x-hub-signature-256',
  algorithm: 'sha256',
  encoding: 'hex',
  prefix: 'sha256=',
  idHeader: 'x-github-delivery',
  eventHeader: 'x-github-event',
});

const hmacGithubSender: BenchSender = {
  ...presetSender(githubSender),
  name: 'hmacProvider (GitHub)',
  provider: githubHmacProvider,
  source: "githubSender's delivery signed by `signWebhook` with the `hmacProvider` object; padded in `message`",
  delivery: (bytes, now) => scaleFixtureDelivery(githubSender, githubHmacProvider, 'message', bytes, now),
};

// The seed senders have no fixture in test/senders: their deliveries are `signWebhook`'s, their
// floors written here the same way the fixtures' are (everything read from the delivery, per call).

const SEED_SECRETS = {
  usersnap: 'usersnap-api-token-0c5f1e2d9a',
  guuru: 'guuru-webhook-secret-7b9a44',
  survicate: 'survicate-signing-secret-41d2',
  shopsurvey: 'shopsurvey-webhook-secret-93ce',
  'standard-webhooks': 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
} as const;
type SeedName = keyof typeof SEED_SECRETS;

/** A realistic payload of the seed sender, with a `padding` string field. */
function seedPayload(sender: SeedName, padding: string): Record<string, unknown> {
  switch (sender) {
    case 'usersnap':
      return {
        feedback_number: 1000,
        link: 'https://app.usersnap.com/l/feedback/45a5c97d-2a8f-46c0-90b6-d6089192b161',
        client: { url: 'https://shop.example.com/checkout', client: 'Chrome', screen_width: 1200 },
        comment: { text: 'The pay button does nothing on the second click' },
        visitor: { email: 'visitor@example.com' },
        padding,
      };
    case 'guuru':
      return {
        user: { name: 'Joana', email: '', locale: 'en' },
        question: 'Is shipping free for Portugal?',
        status: 'rated',
        rating: 5,
        createdAt: 1551456423860,
        padding,
      };
    case 'survicate':
      return {
        messageId: 'msg-6f1c2a90-survicate',
        event: { questionAnswered: { survey: { id: 'a1b2c3' }, question: { id: 77 }, choice: { id: 3 } } },
        padding,
      };
    case 'shopsurvey':
      return { id: 'resp_20261123_001', survey_id: 'srv_9001', answers: [{ answer: 'A friend' }], padding };
    case 'standard-webhooks':
      return {
        type: 'invoice.paid',
        timestamp: '2026-11-23T10:17:00Z',
        data: { invoiceId: 'in_1042', amountCents: 12900, currency: 'EUR', padding },
      };
  }
}

/** The usual request headers around a seed sender's own (Node's lower-case names). */
function seedDelivery(sender: SeedName, bytes: number, now: Date): ScaledDelivery {
  const sign = (padding: string) =>
    signWebhook({
      provider: sender,
      secret: SEED_SECRETS[sender],
      payload: seedPayload(sender, padding),
      event: 'Response.Created',
      timestamp: now,
    });
  const overhead = sign('').body.length;
  const signed = sign(paddingText(bytes - overhead));
  if (signed.body.length !== bytes) throw new Error(`${sender}: body of ${signed.body.length} bytes, not ${bytes}.`);
  const paddedAt = signed.body.indexOf(paddingText(16));
  return {
    wire: { headers: { 'user-agent': `${sender}-webhooks/1.0`, ...signed.headers }, body: signed.body },
    paddedAt,
  };
}

function required(headers: Record<string, string>, name: string): string {
  const value = headers[name];
  if (value === undefined) throw new Error(`No ${name} header.`);
  return value;
}

/** ShopSurvey's signed headers, sorted by name as the signed JSON has them. */
const SHOPSURVEY_SIGNED = ['ATTEMPT', 'HMAC-ALGORITHM', 'ID', 'MESSAGE-ID', 'REQUEST-ID', 'SENT-AT', 'TOPIC']
  .map((name) => `X-SHOPSURVEY-WEBHOOK-${name}`)
  .sort()
  .map((name) => [name, name.toLowerCase()] as const);

/** Standard Webhooks' key, decoded once: it is configuration, not part of the delivery. */
const STANDARD_KEY = Buffer.from(SEED_SECRETS['standard-webhooks'].slice('whsec_'.length), 'base64');

function hmacEquals(received: Buffer, expected: Buffer): boolean {
  return received.length === expected.length && timingSafeEqual(received, expected);
}

const SEED_FLOORS: Readonly<Record<SeedName, { note: string; floor(delivery: WireDelivery): boolean }>> = {
  usersnap: {
    note: 'HMAC-SHA256 over the multipart body then the `X-Usersnap-Timestamp` value as 32 little-endian bytes (written per call)',
    floor({ headers, body }) {
      const timestamp = Buffer.alloc(32);
      timestamp.writeUIntLE(Number(required(headers, 'x-usersnap-timestamp')), 0, 6);
      const expected = createHmac('sha256', SEED_SECRETS.usersnap).update(body).update(timestamp).digest();
      return hmacEquals(Buffer.from(required(headers, 'x-usersnap-signature'), 'hex'), expected);
    },
  },
  guuru: {
    note: 'HMAC-SHA256 over the JSON body',
    floor({ headers, body }) {
      const expected = createHmac('sha256', SEED_SECRETS.guuru).update(body).digest();
      return hmacEquals(Buffer.from(required(headers, 'x-guuru-hmac-sha256'), 'hex'), expected);
    },
  },
  survicate: {
    note: 'HMAC-SHA256 over the JSON body',
    floor({ headers, body }) {
      const expected = createHmac('sha256', SEED_SECRETS.survicate).update(body).digest();
      return hmacEquals(Buffer.from(required(headers, 'hmac'), 'hex'), expected);
    },
  },
  shopsurvey: {
    note:
      'HMAC-SHA256 over the compact JSON of the seven signed headers, read and serialised per call ' +
      '(ShopSurvey does not sign the body, so the body size changes nothing)',
    floor({ headers }) {
      const signed: Record<string, string | undefined> = {};
      for (const [name, lower] of SHOPSURVEY_SIGNED) signed[name] = headers[lower];
      const expected = createHmac('sha256', SEED_SECRETS.shopsurvey).update(JSON.stringify(signed)).digest();
      return hmacEquals(Buffer.from(required(headers, 'x-shopsurvey-webhook-hmac'), 'hex'), expected);
    },
  },
  'standard-webhooks': {
    note: 'HMAC-SHA256 with the `whsec_` key (decoded once) over `<webhook-id>.<webhook-timestamp>.` then the body',
    floor({ headers, body }) {
      const signature = required(headers, 'webhook-signature');
      const expected = createHmac('sha256', STANDARD_KEY)
        .update(`${required(headers, 'webhook-id')}.${required(headers, 'webhook-timestamp')}.`)
        .update(body)
        .digest();
      return hmacEquals(Buffer.from(signature.slice(signature.indexOf(',') + 1), 'base64'), expected);
    },
  },
};

function seedSender(name: SeedName): BenchSender {
  return {
    name,
    provider: name,
    secret: SEED_SECRETS[name],
    kind: 'hmac',
    signsUrl: false,
    source:
      '`signWebhook` (a seed sender: no fixture); padded in a `padding` field' +
      (name === 'usersnap' ? ' of the `feedback` part' : ''),
    delivery: (bytes, now) => Promise.resolve(seedDelivery(name, bytes, now)),
    floor: ({ delivery }) => SEED_FLOORS[name].floor(delivery),
    floorNote: SEED_FLOORS[name].note,
    tamper:
      name === 'shopsurvey'
        ? (delivery) => withHeader(delivery, 'x-shopsurvey-webhook-message-id', (value) => `${value}x`)
        : undefined,
  };
}

const SEED_NAMES: readonly SeedName[] = ['usersnap', 'guuru', 'survicate', 'shopsurvey', 'standard-webhooks'];
const ALL_SENDERS: readonly BenchSender[] = [
  ...SEED_NAMES.map(seedSender),
  hmacGithubSender,
  ...SENDER_FIXTURES.map(presetSender),
];

const ONLY = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((name) => name.trim())
  .filter((name) => name !== '');
const SENDERS = ONLY.length === 0 ? ALL_SENDERS : ALL_SENDERS.filter((sender) => ONLY.includes(sender.name));
const SIZES_RUN: readonly Size[] = process.env.BENCH_SIZES
  ? SIZES.filter((size) => process.env.BENCH_SIZES!.split(',').includes(String(size.bytes / 1024)))
  : SIZES;

// ---------------------------------------------------------------------------------------------
// Cases and variants

type VariantName = 'floor' | 'WebhookVerifier' | 'verifyWebhook' | 'standardwebhooks' | 'standardwebhooksNoParse';

const VARIANT_LABELS: Readonly<Record<VariantName, string>> = {
  floor: "the sender's node:crypto floor",
  WebhookVerifier: '`WebhookVerifier.verify(headers, rawBody)` on a verifier made once',
  verifyWebhook: '`verifyWebhook({ provider, secret, headers, rawBody })` with a new options object per call',
  standardwebhooks: '`standardwebhooks` `new Webhook(secret).verify(body, headers)`, instance made once',
  standardwebhooksNoParse: 'the same with `{ jsonParse: false }`',
};

/** Node's `req.headers` for a delivery: lower-case names, and what a proxy in front adds. */
function nodeHeaders(delivery: WireDelivery): Record<string, string> {
  const headers: Record<string, string> = {
    host: 'hooks.example.com',
    'x-forwarded-for': '203.0.113.7',
    'x-forwarded-proto': 'https',
    'content-length': String(delivery.body.length),
    'accept-encoding': 'gzip',
    connection: 'close',
  };
  for (const [name, value] of Object.entries(delivery.headers)) headers[name.toLowerCase()] = value;
  return headers;
}

interface Case {
  readonly sender: BenchSender;
  readonly size: Size;
  readonly bodyBytes: number;
  readonly run: Partial<Record<VariantName, () => unknown>>;
}

const verifiers = new Map<BenchSender, WebhookVerifier>();
function verifierOf(sender: BenchSender): WebhookVerifier {
  let verifier = verifiers.get(sender);
  if (!verifier) {
    verifier = new WebhookVerifier({ provider: sender.provider, secret: sender.secret });
    verifiers.set(sender, verifier);
  }
  return verifier;
}
const standardWebhook = new Webhook(SEED_SECRETS['standard-webhooks']);

async function prepareCase(sender: BenchSender, size: Size): Promise<Case> {
  const { wire } = await sender.delivery(size.bytes, new Date());
  const headers = nodeHeaders(wire);
  const body = wire.body;
  const verifier = verifierOf(sender);
  const { provider, secret } = sender;
  const floorInput = { delivery: wire, url: URL };
  const run: Case['run'] = sender.signsUrl
    ? {
        floor: () => sender.floor(floorInput),
        WebhookVerifier: () => verifier.verify(headers, body, { url: URL }),
        verifyWebhook: () => verifyWebhook({ provider, secret, headers, rawBody: body, url: URL }),
      }
    : {
        floor: () => sender.floor(floorInput),
        WebhookVerifier: () => verifier.verify(headers, body),
        verifyWebhook: () => verifyWebhook({ provider, secret, headers, rawBody: body }),
      };
  if (sender.name === 'standard-webhooks') {
    run.standardwebhooks = () => standardWebhook.verify(body, headers);
    run.standardwebhooksNoParse = () => standardWebhook.verify(body, headers, { jsonParse: false });
  }
  // Every variant must accept the delivery before it is timed.
  for (const [name, fn] of Object.entries(run)) {
    if (fn() === false) throw new Error(`${sender.name} ${size.label}: ${name} refused a valid delivery.`);
  }
  return { sender, size, bodyBytes: body.length, run };
}

/** Flips one bit of a letter of the padding (or past the middle of the body): still JSON, or still a form. */
function tamperedBody(delivery: WireDelivery, paddedAt: number): WireDelivery {
  const body = Buffer.from(delivery.body);
  const from = paddedAt >= 0 ? paddedAt : Math.floor(body.length / 2);
  let index = from;
  while (index < body.length && !(body[index]! >= 0x62 && body[index]! <= 0x7a)) index += 1;
  if (index >= body.length) throw new Error('No letter to change in the body.');
  body[index] = body[index]! ^ 0x01;
  return { ...delivery, body };
}

/**
 * Checked once per sender and size before timing: the SDK (or documented check) accepts the
 * scaled delivery, and a changed delivery is refused by the library and by the floor, so both
 * really compare.
 */
async function checkSender(sender: BenchSender, size: Size): Promise<{ bodyBytes: number; sdk: string }> {
  const now = new Date();
  const { wire, paddedAt } = await sender.delivery(size.bytes, now);
  let sdk = 'no SDK check';
  if (sender.sdkAccepts) {
    if (!(await sender.sdkAccepts({ delivery: wire, url: URL, now })))
      throw new Error(`${sender.name} ${size.label}: the sender's SDK refuses the scaled delivery.`);
    sdk = 'accepted by the SDK check';
  }
  const tampered = sender.tamper ? sender.tamper(wire) : tamperedBody(wire, paddedAt);
  try {
    verifyWebhook({
      provider: sender.provider,
      secret: sender.secret,
      headers: nodeHeaders(tampered),
      rawBody: tampered.body,
      url: URL,
    });
    throw new Error(`${sender.name} ${size.label}: verifyWebhook accepted a changed delivery.`);
  } catch (error) {
    if (!(error instanceof WebhookVerificationError)) throw error;
  }
  let floorAccepted: boolean;
  try {
    floorAccepted = sender.floor({ delivery: tampered, url: URL });
  } catch {
    floorAccepted = false;
  }
  if (floorAccepted) throw new Error(`${sender.name} ${size.label}: the floor accepted a changed delivery.`);
  return { bodyBytes: wire.body.length, sdk };
}

// ---------------------------------------------------------------------------------------------
// Timing

/** Holds the last result, so no call can be optimised away. */
let sink: unknown;

interface Tally {
  ops: number;
  /** CPU time of the process (user + system) spent in the variant's chunks. */
  cpuNs: number;
  /** Wall-clock time of the same chunks, kept for comparison. */
  wallNs: number;
  batch: number;
}

/** CPU time of this process so far, in nanoseconds (user + system, all threads: GC's helpers too). */
function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
}

/**
 * Runs `fn` until the process has spent about `ms` of CPU time on it, in batches that grow
 * until one takes 0.25 ms; adds to `tally`. CPU time rather than wall-clock time: on a shared
 * machine the process is often descheduled, and those pauses are no cost of the code measured.
 */
function timeSlice(fn: () => unknown, ms: number, tally: Tally): void {
  const wallStart = process.hrtime.bigint();
  const cpuStart = cpuNow();
  const budget = ms * 1e6;
  let used = 0;
  while (used < budget) {
    const batchStart = cpuNow();
    const batch = tally.batch;
    for (let i = 0; i < batch; i += 1) sink = fn();
    tally.ops += batch;
    const batchEnd = cpuNow();
    used = batchEnd - cpuStart;
    if (batchEnd - batchStart < 250_000) tally.batch = batch * 2;
  }
  tally.cpuNs += used;
  tally.wallNs += Number(process.hrtime.bigint() - wallStart);
}

/**
 * One round of one case: every variant gets `sliceMs` of CPU time, cut into `CHUNKS` chunks taken
 * in turn (A B C A B C …, starting from a variant that rotates every round), so a change of load
 * on the shared machine falls on all variants alike. Operations per CPU second and per wall-clock
 * second, per variant.
 */
function measureRound(
  testCase: Case,
  rotation: number,
  sliceMs: number,
): { cpu: Partial<Record<VariantName, number>>; wall: Partial<Record<VariantName, number>> } {
  const names = rotate(Object.keys(testCase.run) as VariantName[], rotation);
  const tallies = new Map<VariantName, Tally>(names.map((name) => [name, { ops: 0, cpuNs: 0, wallNs: 0, batch: 1 }]));
  for (let chunk = 0; chunk < CHUNKS; chunk += 1) {
    for (const name of names) timeSlice(testCase.run[name]!, sliceMs / CHUNKS, tallies.get(name)!);
  }
  const rate = (name: VariantName, ns: 'cpuNs' | 'wallNs') => tallies.get(name)!.ops / (tallies.get(name)![ns] / 1e9);
  return {
    cpu: Object.fromEntries(names.map((name) => [name, rate(name, 'cpuNs')])),
    wall: Object.fromEntries(names.map((name) => [name, rate(name, 'wallNs')])),
  };
}

// ---------------------------------------------------------------------------------------------
// Results

interface Row {
  readonly sender: string;
  readonly kind: FloorKind;
  readonly size: string;
  readonly bodyBytes: number;
  /** Operations per CPU second of each variant, one per round: what the ratios are made of. */
  readonly samples: Partial<Record<VariantName, number[]>>;
  /** Operations per wall-clock second of the same chunks, for comparison only. */
  readonly wallSamples: Partial<Record<VariantName, number[]>>;
}

function perRoundRatios(
  row: Row,
  numerator: VariantName,
  denominator: VariantName,
  samples: 'samples' | 'wallSamples' = 'samples',
): number[] {
  const top = row[samples][numerator] ?? [];
  const bottom = row[samples][denominator] ?? [];
  return top.map((value, index) => value / bottom[index]!);
}

interface Target {
  readonly target: string;
  readonly sender: string;
  readonly size: string;
  readonly ratio: string;
  readonly threshold: number;
  readonly interval: Interval;
  /** Met only when the interval's lower bound clears the threshold. */
  readonly met: boolean;
}

function verdict(target: Target): string {
  if (target.met) return 'met';
  return target.interval.estimate >= target.threshold ? '**missed** (within the noise)' : '**missed**';
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const code = codeState();
  const checks = new Map<string, { bodyBytes: number; sdk: string }>();
  for (const size of SIZES_RUN) {
    for (const sender of SENDERS) checks.set(`${sender.name} ${size.label}`, await checkSender(sender, size));
  }

  const rows = new Map<string, Row>();
  const startedAt = Date.now();
  const loadBefore = (await import('node:os')).loadavg();
  console.log(
    `verify: ${SENDERS.length} senders × ${SIZES_RUN.length} sizes, ${ROUNDS} rounds of ${SLICE_MS} ms per variant ` +
      `in ${CHUNKS} chunks (after one warm-up round); load average ${loadBefore.map((l) => l.toFixed(1)).join(' ')}`,
  );
  for (let round = -1; round < ROUNDS; round += 1) {
    let caseIndex = 0;
    for (const size of SIZES_RUN) {
      for (const sender of SENDERS) {
        // Signed again every round, just before it is timed: Paddle's window is 5 s, Linear's 60 s.
        const testCase = await prepareCase(sender, size);
        const key = `${sender.name} ${size.label}`;
        let row = rows.get(key);
        if (!row) {
          row = {
            sender: sender.name,
            kind: sender.kind,
            size: size.label,
            bodyBytes: testCase.bodyBytes,
            samples: {},
            wallSamples: {},
          };
          rows.set(key, row);
        }
        const rates = measureRound(testCase, round + caseIndex, round < 0 ? SLICE_MS / 2 : SLICE_MS);
        if (round >= 0) {
          for (const [name, rate] of Object.entries(rates.cpu)) (row.samples[name as VariantName] ??= []).push(rate);
          for (const [name, rate] of Object.entries(rates.wall))
            (row.wallSamples[name as VariantName] ??= []).push(rate);
        }
        caseIndex += 1;
      }
    }
    if (round >= 0)
      console.log(`  round ${round + 1}/${ROUNDS} done (${((Date.now() - startedAt) / 1000).toFixed(0)} s)`);
  }
  void sink;
  const loadAfter = (await import('node:os')).loadavg();

  const interval = (values: number[]) => bootstrapMedian(values, { confidence: CONFIDENCE });
  const results = [...rows.values()].map((row) => {
    const medians = Object.fromEntries(
      Object.entries(row.samples).map(([name, values]) => [name, median(values)]),
    ) as Partial<Record<VariantName, number>>;
    const ratios: Record<string, Interval> = {
      webhookVerifierToFloor: interval(perRoundRatios(row, 'WebhookVerifier', 'floor')),
      verifyWebhookToFloor: interval(perRoundRatios(row, 'verifyWebhook', 'floor')),
    };
    if (row.samples.standardwebhooks) {
      ratios.verifyWebhookToStandardwebhooks = interval(perRoundRatios(row, 'verifyWebhook', 'standardwebhooks'));
      ratios.webhookVerifierToStandardwebhooks = interval(perRoundRatios(row, 'WebhookVerifier', 'standardwebhooks'));
      ratios.verifyWebhookToStandardwebhooksNoParse = interval(
        perRoundRatios(row, 'verifyWebhook', 'standardwebhooksNoParse'),
      );
    }
    // The same ratios from wall-clock time, for comparison only: the targets are judged on CPU time.
    const wallClockRatios = {
      webhookVerifierToFloor: median(perRoundRatios(row, 'WebhookVerifier', 'floor', 'wallSamples')),
      verifyWebhookToFloor: median(perRoundRatios(row, 'verifyWebhook', 'floor', 'wallSamples')),
    };
    const check = checks.get(`${row.sender} ${row.size}`)!;
    return { ...row, sdk: check.sdk, medianOpsPerSecond: medians, ratios, wallClockRatios };
  });

  const targets: Target[] = [];
  for (const row of results) {
    if (row.size === '64 KB') {
      for (const [variant, key] of [
        ['WebhookVerifier', 'webhookVerifierToFloor'],
        ['verifyWebhook', 'verifyWebhookToFloor'],
      ] as const) {
        const value = row.ratios[key]!;
        targets.push({
          target: `${variant} ≥ ${FLOOR_TARGET_64KB} × floor at 64 KB (issue 15)`,
          sender: row.sender,
          size: row.size,
          ratio: key,
          threshold: FLOOR_TARGET_64KB,
          interval: value,
          met: value.low >= FLOOR_TARGET_64KB,
        });
      }
    }
    if (row.size === '1 KB' && row.kind === 'hmac') {
      const value = row.ratios.webhookVerifierToFloor!;
      targets.push({
        target: `WebhookVerifier ≥ ${FLOOR_TARGET_1KB} × floor at 1 KB, HMAC senders (issue 13)`,
        sender: row.sender,
        size: row.size,
        ratio: 'webhookVerifierToFloor',
        threshold: FLOOR_TARGET_1KB,
        interval: value,
        met: value.low >= FLOOR_TARGET_1KB,
      });
    }
    if (row.size === '1 KB' && row.ratios.verifyWebhookToStandardwebhooks) {
      const value = row.ratios.verifyWebhookToStandardwebhooks;
      targets.push({
        target: `verifyWebhook ≥ ${STANDARDWEBHOOKS_TARGET} × standardwebhooks at 1 KB (issue 13)`,
        sender: row.sender,
        size: row.size,
        ratio: 'verifyWebhookToStandardwebhooks',
        threshold: STANDARDWEBHOOKS_TARGET,
        interval: value,
        met: value.low >= STANDARDWEBHOOKS_TARGET,
      });
    }
  }

  const senderNotes = Object.fromEntries(
    SENDERS.map((sender) => [
      sender.name,
      { floorKind: sender.kind, delivery: sender.source, floor: sender.floorNote, signsUrl: sender.signsUrl },
    ]),
  );
  const data = {
    benchmark: 'verify',
    machine,
    code,
    load: { before: loadBefore, after: loadAfter },
    settings: {
      rounds: ROUNDS,
      sliceMs: SLICE_MS,
      chunks: CHUNKS,
      warmUpRounds: 1,
      url: URL,
      order:
        'every round: each size, each sender (signed again just before), its variants in turn in chunks of ' +
        'sliceMs/chunks, starting from a variant rotated every round',
      time: 'CPU time of the process (process.cpuUsage, user + system); wall-clock rates are kept in wallSamples',
      nodeFlags: process.execArgv,
      statistic:
        'a ratio is the median of the per-round ratios of the variants measured together; its interval is a ' +
        `${CONFIDENCE * 100} % percentile bootstrap of that median over rounds (10,000 resamples, seeded)`,
      met: "a target is met only when its interval's lower bound clears it",
    },
    variants: VARIANT_LABELS,
    senders: senderNotes,
    results,
    targets,
    allTargetsMet: targets.every((target) => target.met),
  };

  const count = (filter: (target: Target) => boolean) => {
    const chosen = targets.filter(filter);
    return `${chosen.filter((target) => target.met).length} of ${chosen.length}`;
  };
  const is64 = (target: Target) => target.size === '64 KB';
  const is1 = (target: Target) => target.size === '1 KB' && target.ratio === 'webhookVerifierToFloor';
  const isSw = (target: Target) => target.ratio === 'verifyWebhookToStandardwebhooks';
  const targetOf = (sender: string, size: string, ratio: string) =>
    targets.find((target) => target.sender === sender && target.size === size && target.ratio === ratio);

  const floorTable = (size: Size) =>
    markdownTable(
      [
        'sender',
        'floor',
        'body bytes',
        'floor ops/s',
        '`WebhookVerifier` ops/s',
        '`verifyWebhook` ops/s',
        '`WebhookVerifier` ÷ floor',
        '`verifyWebhook` ÷ floor',
        size.bytes === 1024 ? `≥ ${FLOOR_TARGET_1KB} (\`WebhookVerifier\`, HMAC)` : `≥ ${FLOOR_TARGET_64KB} (both)`,
      ],
      results
        .filter((row) => row.size === size.label)
        .map((row) => {
          let status = '—';
          if (size.bytes === 1024) {
            const target = targetOf(row.sender, row.size, 'webhookVerifierToFloor');
            if (target) status = verdict(target);
          } else {
            const both = [
              targetOf(row.sender, row.size, 'webhookVerifierToFloor')!,
              targetOf(row.sender, row.size, 'verifyWebhookToFloor')!,
            ];
            const missed = both.filter((target) => !target.met);
            status =
              missed.length === 0
                ? 'met'
                : `**missed** (${missed.map((target) => (target.ratio === 'verifyWebhookToFloor' ? '`verifyWebhook`' : '`WebhookVerifier`')).join(', ')})`;
          }
          return [
            row.sender,
            row.kind,
            fmt(row.bodyBytes),
            fmt(row.medianOpsPerSecond.floor!),
            fmt(row.medianOpsPerSecond.WebhookVerifier!),
            fmt(row.medianOpsPerSecond.verifyWebhook!),
            ratioInterval(row.ratios.webhookVerifierToFloor!),
            ratioInterval(row.ratios.verifyWebhookToFloor!),
            status,
          ];
        }),
    );

  const swRows = results.filter((row) => row.samples.standardwebhooks);
  const swTable = markdownTable(
    [
      'body',
      '`verifyWebhook` ops/s',
      '`WebhookVerifier` ops/s',
      '`standardwebhooks` ops/s',
      '`verifyWebhook` ÷ `standardwebhooks`',
      '`WebhookVerifier` ÷ `standardwebhooks`',
      '`standardwebhooks` (`jsonParse: false`) ops/s',
      '`verifyWebhook` ÷ that',
      `≥ ${STANDARDWEBHOOKS_TARGET} at 1 KB`,
    ],
    swRows.map((row) => {
      const target = targetOf(row.sender, row.size, 'verifyWebhookToStandardwebhooks');
      return [
        row.size,
        fmt(row.medianOpsPerSecond.verifyWebhook!),
        fmt(row.medianOpsPerSecond.WebhookVerifier!),
        fmt(row.medianOpsPerSecond.standardwebhooks!),
        ratioInterval(row.ratios.verifyWebhookToStandardwebhooks!),
        ratioInterval(row.ratios.webhookVerifierToStandardwebhooks!),
        fmt(row.medianOpsPerSecond.standardwebhooksNoParse!),
        ratioInterval(row.ratios.verifyWebhookToStandardwebhooksNoParse!),
        target ? verdict(target) : '—',
      ];
    }),
  );

  const missed = targets.filter((target) => !target.met);
  const markdown = [
    '# `bench:verify`: every sender against its node:crypto floor',
    '',
    machineMarkdown(machine),
    codeMarkdown(code),
    `- Node flags: \`${process.execArgv.join(' ')}\` (a 1 MB young generation: each variant pays for its own garbage).`,
    `- Load average (1, 5, 15 min; ${machine.cores} cores): ${loadBefore.map((l) => l.toFixed(1)).join(', ')} before, ` +
      `${loadAfter.map((l) => l.toFixed(1)).join(', ')} after: a shared machine.`,
    `- Run: \`npm run bench:verify\`; ${ROUNDS} rounds (after one warm-up round); in each, every variant of a sender ` +
      `and size runs ${SLICE_MS} ms of CPU time in ${CHUNKS} chunks taken in turn with the other variants. Rates are ` +
      'operations per CPU second of the process (`process.cpuUsage()`), so time the shared machine gives to others ' +
      `does not count. A ratio is the median of the per-round ratios, with its ${CONFIDENCE * 100} % bootstrap ` +
      'interval in brackets; ops/s are medians. ' +
      'Method: `bench/README.md`.',
    '',
    '<!-- summary -->',
    '',
    `- A target is met only when the lower bound of its interval clears it. Issue 15 (64 KB, \`WebhookVerifier\` and ` +
      `\`verifyWebhook\` ≥ ${FLOOR_TARGET_64KB} × floor): ${count(is64)} met. Issue 13 (1 KB, \`WebhookVerifier\` ≥ ` +
      `${FLOOR_TARGET_1KB} × floor, HMAC senders): ${count(is1)} met; \`verifyWebhook\` ≥ ${STANDARDWEBHOOKS_TARGET} × ` +
      `\`standardwebhooks\` at 1 KB: ${count(isSw)} met.`,
    missed.length === 0
      ? '- Every target met.'
      : `- Missed: ${missed
          .map(
            (target) =>
              `${target.sender} ${target.size} ${target.ratio} ${target.interval.estimate.toFixed(2)} ` +
              `[${target.interval.low.toFixed(2)}–${target.interval.high.toFixed(2)}] < ${target.threshold}`,
          )
          .join('; ')}.`,
    '',
    '<!-- /summary -->',
    '',
    ...SIZES_RUN.flatMap((size) => [`## ${size.label}`, '', floorTable(size), '']),
    '## Standard Webhooks against the `standardwebhooks` package',
    '',
    swTable,
    '',
    '`standardwebhooks` computes HMAC-SHA256 in pure JavaScript (`@stablelib/sha256`), so at 64 KB this compares ' +
      'native hashing with JavaScript hashing; by default it also parses the body as JSON, which `verifyWebhook` ' +
      'does not (the `jsonParse: false` column leaves that out). The target is judged against the default call.',
    '',
    '## The deliveries and the floors',
    '',
    'Each sender’s delivery is signed again every round, just before it is timed. The library gets the headers as ' +
      'Node hands them over (lower-case names, plus `host`, `content-length`, `connection`, `accept-encoding` and two ' +
      '`x-forwarded-*` headers of a proxy); the floor gets the delivery as the sender wrote it. Fields read from the ' +
      'body on demand (Stripe’s `id`, Standard Webhooks’ `type`, …) are not read.',
    '',
    markdownTable(
      ['sender', 'delivery', 'SDK check of the 64 KB delivery', 'floor'],
      SENDERS.map((sender) => [
        sender.name,
        sender.source,
        checks.get(`${sender.name} 64 KB`)?.sdk ?? checks.get(`${sender.name} 1 KB`)?.sdk ?? '—',
        sender.floorNote,
      ]),
    ),
    '',
  ].join('\n');

  const files = await writeResults(OUT, data, markdown);
  console.log(markdown);
  console.log(`written: ${files.join(', ')}`);
}

await main();
