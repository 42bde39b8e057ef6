import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  WebhookDeliveries,
  WebhookSigner,
  WebhooksModule,
  type SignedWebhookRequest,
  type WebhooksModuleOptions,
} from '../../lib/index.js';
import {
  billingInvoicePaid,
  shopSurveyResponse,
  survicateQuestionAnswered,
  usersnapFeedback,
} from '../../sample/payloads.js';
import { waitForQueueIdle } from '../support/queue-idle.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { RawHttpClient, runLimited, type RawResponse } from './fixtures/http-client.js';
import { SECRETS } from './fixtures/secrets.js';
import { startTestApp, testWebhooksOptions, type TestApp } from './fixtures/test-app.js';

const TOTAL = 5_000;
const CONNECTIONS = 100;
const SOURCES = ['usersnap', 'guuru', 'survicate', 'shopsurvey', 'billing'] as const;
/** Handlers each source's deliveries here reach (billing's invoice.paid has two). */
const HANDLERS_PER_DELIVERY: Record<(typeof SOURCES)[number], number> = {
  usersnap: 1,
  guuru: 1,
  survicate: 1,
  shopsurvey: 1,
  billing: 2,
};

type Kind = 'valid' | 'repeat' | 'tampered';
interface Planned {
  readonly kind: Kind;
  readonly source: (typeof SOURCES)[number];
  readonly signed: SignedWebhookRequest;
  /** For a repeat: the index of the delivery it repeats. */
  readonly of?: number;
}

function sign(signer: WebhookSigner, source: (typeof SOURCES)[number], n: number): SignedWebhookRequest {
  switch (source) {
    case 'usersnap':
      return signer.sign('usersnap', { ...usersnapFeedback, feedback_number: n });
    case 'guuru':
      return signer.sign('guuru', { question: `question ${n}`, rating: n % 5 });
    case 'survicate':
      return signer.sign('survicate', { ...survicateQuestionAnswered, messageId: `load-${n}` });
    case 'shopsurvey':
      return signer.sign(
        'shopsurvey',
        { ...shopSurveyResponse, id: `r-${n}` },
        { event: 'Response.Created', id: `m-${n}` },
      );
    case 'billing':
      return signer.sign('billing', { ...billingInvoicePaid, data: { invoiceId: `in_${n}` } });
  }
}

/** A tampered copy: one signed byte changed (ShopSurvey signs headers, so a header). */
function tamper(source: (typeof SOURCES)[number], signed: SignedWebhookRequest): SignedWebhookRequest {
  if (source === 'shopsurvey') {
    const id = signed.headers['x-shopsurvey-webhook-message-id']!;
    return { headers: { ...signed.headers, 'x-shopsurvey-webhook-message-id': `${id}x` }, body: signed.body };
  }
  const body = Buffer.from(signed.body);
  let at = Math.floor(body.length / 2);
  while (!/[a-z]/i.test(String.fromCharCode(body[at]!))) at += 1;
  body[at] = body[at]! ^ 0x20;
  return { headers: signed.headers, body };
}

/** A seeded generator, so a failing run can be replayed exactly. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** 5 000 deliveries spread over every built-in sender: 85 % new, 10 % exact repeats, 5 % tampered. */
function plan(signer: WebhookSigner, random: () => number): Planned[] {
  const planned: Planned[] = [];
  const validIndexes: number[] = [];
  for (let n = 0; n < TOTAL; n += 1) {
    const source = SOURCES[n % SOURCES.length]!;
    const roll = random();
    if (roll < 0.05) {
      planned.push({ kind: 'tampered', source, signed: tamper(source, sign(signer, source, n)) });
    } else if (roll < 0.15 && validIndexes.length > 0) {
      const of = validIndexes[Math.floor(random() * validIndexes.length)]!;
      const original = planned[of]!;
      planned.push({ kind: 'repeat', source: original.source, signed: original.signed, of });
    } else {
      validIndexes.push(planned.length);
      planned.push({ kind: 'valid', source, signed: sign(signer, source, n) });
    }
  }
  return planned;
}

/** Shuffles with the seeded generator, so repeats race their originals. */
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [result[i], result[j]] = [result[j]!, result[i]!];
  }
  return result;
}

/**
 * Sends the planned load and checks every answer and handler run. `settle` returns once nothing
 * more can run (inline: at once, every handler ran in its request; queued: the queue is idle).
 */
async function runLoad(testApp: TestApp, queued: boolean, settle: () => Promise<void>): Promise<void> {
  await testApp.app.listen(0, '127.0.0.1');
  const server = testApp.app.getHttpServer() as Server;
  // A process stalled past Node's 5 s keep-alive timeout (a collection on a loaded machine) would see
  // the server close sockets the pool has just sent on: a race of keep-alive, not a dropped delivery.
  server.keepAliveTimeout = 120_000;
  const { port } = server.address() as AddressInfo;
  const client = new RawHttpClient(port, CONNECTIONS);
  const random = seeded(20261123);
  const planned = plan(testApp.app.get(WebhookSigner), random);
  const order = shuffled(
    planned.map((_, index) => index),
    random,
  );
  const responses = new Array<RawResponse | Error>(planned.length);
  const startedAt = Date.now();
  try {
    await runLimited(
      order.map((index) => async () => {
        const { source, signed } = planned[index]!;
        responses[index] = await client
          .send('POST', `/webhooks/${source}`, signed.headers, signed.body)
          .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
      }),
      CONNECTIONS,
    );
  } finally {
    client.close();
  }
  const seconds = (Date.now() - startedAt) / 1000;

  const dropped = responses.filter((response) => response instanceof Error);
  expect(dropped).toEqual([]);
  const answers = responses as RawResponse[];
  expect(answers.filter((answer) => answer.status >= 500).map((a) => a.body)).toEqual([]);

  const byKind = (kind: Kind) =>
    planned.flatMap((p, index) => (p.kind === kind ? [{ p, index, answer: answers[index]! }] : []));
  expect(byKind('tampered').filter(({ answer }) => answer.status !== 401)).toEqual([]);
  // A repeat is 200 (a duplicate, or the first of the pair to arrive), or 409 while its twin is being handled.
  expect(byKind('repeat').filter(({ answer }) => answer.status !== 200 && answer.status !== 409)).toEqual([]);
  // A new delivery is 200, unless its repeat overtook it and it arrived while the repeat was being handled.
  const valid = byKind('valid');
  const repeatedOriginals = new Set(byKind('repeat').map(({ p }) => p.of));
  expect(
    valid.filter(
      ({ answer, index }) => answer.status !== 200 && !(answer.status === 409 && repeatedOriginals.has(index)),
    ),
  ).toHaveLength(0);

  // Every valid delivery is handled exactly once, by each of its handlers: counted once nothing more can run.
  const expectedRuns = valid.reduce((sum, { p }) => sum + HANDLERS_PER_DELIVERY[p.source], 0);
  await settle();
  // Nothing was lost on the way: no dead letter in queue mode.
  if (queued) expect(await testApp.app.get(WebhookDeliveries).listFailed()).toEqual([]);
  const runs = new Map<string, number>();
  for (const call of testApp.calls.calls) {
    const key = `${call.handler}|${call.context.source}|${call.context.deliveryId}`;
    runs.set(key, (runs.get(key) ?? 0) + 1);
  }
  expect([...runs.entries()].filter(([, count]) => count > 1)).toEqual([]);
  expect(testApp.calls.calls).toHaveLength(expectedRuns);
  const handledDeliveries = new Set(
    testApp.calls.calls.map((call) => `${call.context.source}|${call.context.deliveryId}`),
  );
  expect(handledDeliveries.size).toBe(valid.length);
  console.log(
    `${queued ? 'queue' : 'inline'} mode: ${TOTAL} deliveries at ${CONNECTIONS} connections in ${seconds.toFixed(1)} s ` +
      `(${Math.round(TOTAL / seconds)}/s): ${valid.length} new, ${byKind('repeat').length} repeats, ` +
      `${byKind('tampered').length} tampered; ${expectedRuns} handler runs, none twice`,
  );
}

describe('no-loss load test', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  async function withApp(options: Partial<WebhooksModuleOptions>, run: (app: TestApp) => Promise<void>): Promise<void> {
    const testApp = await startTestApp(WebhooksModule.forRoot({ ...testWebhooksOptions(), ...options }));
    try {
      await run(testApp);
    } finally {
      await testApp.app.close();
    }
  }

  it('inline mode: every valid delivery handled once, tampered 401, repeats never run twice, no 5xx, nothing dropped', async () => {
    await withApp({}, (app) => runLoad(app, false, () => Promise.resolve()));
  }, 120_000);

  it('queue mode on a real Redis: the same', async () => {
    await withApp(
      {
        processing: 'queue',
        queue: { jobSigningKey: SECRETS.jobSigning, connection: redis.url, name: 'load-test', concurrency: 50 },
        deliveries: { store: 'redis', connection: redis.url },
      },
      (app) => runLoad(app, true, () => waitForQueueIdle(redis.url, 'load-test', { timeoutMs: 90_000 })),
    );
  }, 180_000);
});
