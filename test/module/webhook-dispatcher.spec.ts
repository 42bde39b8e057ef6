import { describe, expect, it } from '@jest/globals';
import { WebhookHandlerError } from '../../lib/core/errors/index.js';
import type { IncomingWebhook } from '../../lib/core/incoming-webhook.js';
import type { WebhookProvider } from '../../lib/core/webhook-provider.js';
import { WebhookResponse } from '../../lib/core/webhook-response.js';
import type { VerifiedAttempt } from '../../lib/module/delivery-attempt.js';
import { WebhookDispatcher } from '../../lib/module/webhook.dispatcher.js';
import { WebhookHandlerRegistry, type WebhookHandlerDefinition } from '../../lib/module/webhook-handler.registry.js';
import type { WebhookSource } from '../../lib/module/webhook-sources.js';
import type { WebhookTracing } from '../../lib/module/webhook-tracing.service.js';

const provider = {
  name: 'test',
  parse: (delivery: IncomingWebhook) => Promise.resolve({ payload: JSON.parse(delivery.rawBody.toString('utf8')) }),
} as unknown as WebhookProvider;
const source = { name: 'test', provider } as unknown as WebhookSource;

let attempts = 0;
function attempt(): VerifiedAttempt {
  attempts += 1;
  const rawBody = Buffer.from(JSON.stringify({ n: attempts }));
  return {
    attemptId: `a-${attempts}`,
    via: 'request',
    sourceName: 'test',
    source,
    headers: {},
    rawBody,
    delivery: { rawBody } as unknown as IncomingWebhook,
    verified: { deliveryId: `d-${attempts}`, event: undefined, timestamp: undefined },
    scope: undefined,
    verifyMs: 0,
  };
}

function handler(name: string, invoke: WebhookHandlerDefinition['invoke'], respond = false): WebhookHandlerDefinition {
  return { name, source: 'test', events: undefined, dto: undefined, respond, invoke };
}

/** A dispatcher over `handlers`; nothing is traced, so its tracing is never called. */
function dispatcherOf(...handlers: WebhookHandlerDefinition[]): WebhookDispatcher {
  const registry = new WebhookHandlerRegistry();
  registry.register(handlers);
  return new WebhookDispatcher(registry, {} as WebhookTracing);
}

describe('WebhookDispatcher', () => {
  it("reports every handler's success in one frozen list, the same for each delivery (nothing new to keep)", async () => {
    const ran: string[] = [];
    const dispatcher = dispatcherOf(
      handler('A.first', () => void ran.push('first')),
      handler('B.second', () => 'answer', true),
    );
    const first = await dispatcher.dispatch(attempt());
    const second = await dispatcher.dispatch(attempt());
    expect(first.runs).toEqual([
      { handler: 'A.first', succeeded: true },
      { handler: 'B.second', succeeded: true },
    ]);
    expect(second.runs).toBe(first.runs);
    expect(Object.isFrozen(first.runs) && first.runs.every((run) => Object.isFrozen(run))).toBe(true);
    expect(first.handled).toBe(2);
    expect(first.response).toEqual(WebhookResponse.json('answer'));
    expect(ran).toEqual(['first', 'first']);
  });

  it('names the handlers that failed and those that succeeded, in their order', async () => {
    const dispatcher = dispatcherOf(
      handler('A.fails', () => {
        throw new Error('down');
      }),
      handler('B.works', () => undefined),
    );
    const error = await dispatcher.dispatch(attempt()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WebhookHandlerError);
    const failed = error as WebhookHandlerError;
    expect(failed.runs).toEqual([
      { handler: 'A.fails', succeeded: false, error: 'down' },
      { handler: 'B.works', succeeded: true },
    ]);
    expect(failed.failures.map((failure) => failure.handler)).toEqual(['A.fails']);
    expect(failed.succeeded).toEqual(['B.works']);
  });

  it('runs on a retry only the handlers an earlier attempt did not, and reports only those', async () => {
    const ran: string[] = [];
    const dispatcher = dispatcherOf(
      handler('A.done', () => void ran.push('A')),
      handler('B.left', () => void ran.push('B')),
    );
    const report = await dispatcher.dispatch(attempt(), ['A.done']);
    expect(ran).toEqual(['B']);
    expect(report.runs).toEqual([{ handler: 'B.left', succeeded: true }]);
    expect(report.handled).toBe(1);
  });
});
