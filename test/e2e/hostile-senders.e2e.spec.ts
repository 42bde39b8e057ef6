import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import { CONTENT_TYPES, hostileBody, printable, randomHeaderName } from './fixtures/hostile-arbitraries.js';
import { HOSTILE_PRESETS, refusalOf, type HostilePreset, type HostileRequest } from './fixtures/hostile-senders.js';
import { mutationsOf, withGarbageSignature } from './fixtures/hostile-mutations.js';
import { runs, send, startSendersApp, type Answer, type SendersApp } from './fixtures/senders-app.js';
import { PLATFORMS } from './fixtures/test-app.js';

/** Random requests per preset and platform: 30 presets x 2 platforms x this, well under a minute. */
const RANDOM_RUNS = 40;
/** The body size of the cost comparison. */
const MB = 1_000_000;
/** How much longer a refused 1 MB delivery may take than a verified one, measured in the same run. */
const COST_RATIO = 5;

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
const base64 = fc.uint8Array({ minLength: 16, maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('base64'));
const nowSeconds = () => Math.floor(Date.now() / 1000);
/** Header values shaped like signatures, timestamps and ids, or anything printable. */
const headerValue = fc.oneof(
  printable(200),
  hex(64),
  hex(40),
  base64,
  hex(64).map((h) => `sha256=${h}`),
  hex(64).map((h) => `t=${nowSeconds()},v1=${h}`),
  hex(64).map((h) => `ts=${nowSeconds()};h1=${h}`),
  fc.array(base64, { minLength: 1, maxLength: 5 }).map((list) => list.map((b) => `v1,${b}`).join(' ')),
  fc.constantFrom(String(nowSeconds()), String(Date.now()), new Date().toISOString(), '', ' ', '1e30', '-1'),
  fc.integer({ min: 500, max: 1500 }).map((n) => 'v1='.repeat(n)),
  fc.array(printable(40), { minLength: 2, maxLength: 3 }),
  // Latin-1 bytes, which Node passes through in header values.
  fc.string({ unit: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 80 }),
  hex(64).map((h) => `sha256=${h.slice(0, 63)}\u00e9`),
);
/** A seed of its own per preset, so a failure names one to replay. */
const seedOf = (name: string) => [...name].reduce((hash, c) => (hash * 31 + c.charCodeAt(0)) | 0, 15);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe.each(PLATFORMS)('every preset under hostile input on %s', (platform) => {
  let senders: SendersApp;
  const urlOf = (source: string) => `http://127.0.0.1:${senders.port}/webhooks/${source}`;
  // Node frames the bodies of GET and DELETE only with a Content-Length given; without it they would be a second request.
  const post = (preset: HostilePreset, { method, headers, body }: HostileRequest): Promise<Answer> =>
    send(senders.port, `/webhooks/${preset.name}`, {
      method: method as 'POST',
      headers: { 'content-length': String(body.length), ...(headers as Record<string, string>) },
      body,
    });
  const ranFor = (preset: HostilePreset) => runs.filter((run) => run.source === preset.name);

  beforeAll(async () => {
    senders = await startSendersApp(platform, { bodyLimit: 2 * MB });
  });

  /** Per preset: median ms to verify, then to refuse, 1 MB. */
  const costs: string[] = [];
  /** How often each refusal answered the random and mutated requests. */
  const tally = new Map<string, number>();
  const count = (reason: string) => tally.set(reason, (tally.get(reason) ?? 0) + 1);

  afterAll(async () => {
    console.log(
      `${platform}: refusals ${JSON.stringify(Object.fromEntries(tally))}\n1 MB ms verified/refused: ${costs.join(', ')}`,
    );
    await senders.app.close();
  });

  beforeEach(() => {
    runs.length = 0;
  });

  describe.each(HOSTILE_PRESETS.map((preset) => [preset.name, preset] as const))('%s', (_name, preset) => {
    it('refuses random headers, bodies and content types with a 4xx reason, and runs no handler', async () => {
      const genuine = await preset.genuine(urlOf(preset.name));
      const { sensitiveHeaders, senderHeaders = [], methods } = preset.provider;
      // The genuine delivery's other headers, so random values reach the signature check.
      const unsigned = Object.fromEntries(
        Object.entries(genuine.headers).filter(([n]) => !sensitiveHeaders.includes(n)),
      );
      const own = fc.constantFrom(...sensitiveHeaders, ...senderHeaders, 'content-type');
      await fc.assert(
        fc.asyncProperty(
          fc.boolean(),
          fc.dictionary(
            fc.oneof({ weight: 3, arbitrary: own }, { weight: 1, arbitrary: randomHeaderName }),
            headerValue,
            {
              maxKeys: 6,
            },
          ),
          fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: undefined }),
          hostileBody,
          fc.constantFrom(...methods, 'POST', 'PUT'),
          async (keepUnsigned, random, contentType, payload, method) => {
            const headers: Record<string, string | string[]> = { ...(keepUnsigned ? unsigned : {}), ...random };
            if (contentType !== undefined) headers['content-type'] = contentType;
            const answer = await post(preset, { method, headers, body: method === 'GET' ? Buffer.alloc(0) : payload });
            count(refusalOf(answer, `${preset.name} ${method} ${JSON.stringify(headers).slice(0, 400)}`, method));
            if (ranFor(preset).length > 0) throw new Error(`${preset.name}: a handler ran for a random request`);
          },
        ),
        { numRuns: RANDOM_RUNS, seed: seedOf(preset.name) },
      );
      expect(runs).toHaveLength(0);
    }, 60_000);

    it('refuses every mutation of a genuine delivery with a 4xx reason, and handles the genuine one once', async () => {
      const mutations = mutationsOf(preset, await preset.genuine(urlOf(preset.name)));
      for (const mutation of mutations) {
        // Signed afresh each time: Paddle's window is 5 s.
        const mutated = mutation.apply(await preset.genuine(urlOf(preset.name)));
        const label = `${preset.name}, ${mutation.label}`;
        const reason = refusalOf(await post(preset, mutated), label, mutated.method);
        count(reason);
        // The body is the genuine one: the platform's parsers take it, so the module must be the one refusing.
        if (!/^(body|method)/.test(mutation.label) && reason.startsWith('platform'))
          throw new Error(`${label}: ${reason}`);
        if (ranFor(preset).length > 0) throw new Error(`${label}: a handler ran`);
      }
      expect(mutations.length).toBeGreaterThan(20);
      expect(runs).toHaveLength(0);
      // The control: the same setup takes the genuine delivery, once.
      const answer = await post(preset, await preset.genuine(urlOf(preset.name)));
      expect(answer.status).toBeLessThan(300);
      expect(ranFor(preset)).toHaveLength(1);
    }, 60_000);

    it('refuses 1 MB under the longest garbage signature list at a bounded cost relative to verifying 1 MB', async () => {
      const valid: number[] = [];
      const refused: number[] = [];
      const timed = async (request: HostileRequest) => {
        const start = performance.now();
        const answer = await post(preset, request);
        return { answer, ms: performance.now() - start };
      };
      for (let round = 0; round < 4; round += 1) {
        const delivery = preset.padded(urlOf(preset.name), MB);
        expect(delivery.body.length).toBeGreaterThan(0.99 * MB);
        const verified = await timed(delivery);
        expect(verified.answer.status).toBeLessThan(300);
        const garbage = await timed(withGarbageSignature(preset, delivery));
        expect(refusalOf(garbage.answer, `${preset.name} garbage signature`)).not.toMatch(/^platform/);
        // The first round warms up.
        if (round > 0) {
          valid.push(verified.ms);
          refused.push(garbage.ms);
        }
      }
      costs.push(`${preset.name} ${median(valid).toFixed(1)}/${median(refused).toFixed(1)}`);
      expect(median(refused)).toBeLessThanOrEqual(COST_RATIO * median(valid));
    }, 60_000);
  });
});
