import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { signWebhook } from '../../lib/index.js';
import { calendlySender } from '../senders/calendly.sender.js';
import { DISCORD_PRIVATE_KEY, discordSender } from '../senders/discord.sender.js';
import { HUBSPOT_EVENTS_BODY, hubspotSender } from '../senders/hubspot.sender.js';
import { MAILGUN_DELIVERED_EVENT, mailgunSender } from '../senders/mailgun.sender.js';
import type { WireDelivery } from '../senders/sender-fixture.js';
import { sendGridSender } from '../senders/sendgrid.sender.js';
import { zoomSender } from '../senders/zoom.sender.js';
import { runs, send, startSendersApp, type SendersApp } from './fixtures/senders-app.js';

/**
 * Senders that send no delivery id and sign a timestamp sign a retry again, at another second:
 * its signature differs, its body (less what the sender changes on purpose) does not. Each case
 * makes attempt `attempt` of one delivery, signed at `at`, for `url`.
 */
interface RetryCase {
  readonly source: string;
  make(input: { url: string; at: Date; attempt: number }): WireDelivery | Promise<WireDelivery>;
}

/** HubSpot raises every event's `attemptNumber` on a retry. */
const hubspotAttempt = (attempt: number) =>
  JSON.stringify(
    (JSON.parse(HUBSPOT_EVENTS_BODY) as Record<string, unknown>[]).map((event) => ({
      ...event,
      attemptNumber: attempt,
    })),
  );

const MAILGUN_EVENT_WITHOUT_ID = {
  'event-data': Object.fromEntries(
    Object.entries(MAILGUN_DELIVERED_EVENT['event-data']).filter(([key]) => key !== 'id'),
  ),
};

const DISCORD_EVENT = {
  version: 1,
  application_id: '1251316715767504957',
  type: 1,
  event: { type: 'APPLICATION_AUTHORIZED', timestamp: '2024-10-18T14:42:53.064834', data: { scopes: ['bot'] } },
};

const CASES: readonly RetryCase[] = [
  { source: 'calendly', make: ({ url, at }) => calendlySender.delivery({ url, now: at }) },
  { source: 'zoom', make: ({ url, at }) => zoomSender.delivery({ url, now: at }) },
  { source: 'sendgrid', make: ({ url, at }) => sendGridSender.delivery({ url, now: at }) },
  {
    source: 'hubspot',
    make: ({ url, at, attempt }) =>
      signWebhook({
        provider: 'hubspot',
        secret: hubspotSender.secret,
        url,
        payload: Buffer.from(hubspotAttempt(attempt), 'utf8'),
        timestamp: at,
      }),
  },
  {
    source: 'discord',
    make: ({ at }) =>
      signWebhook({
        provider: 'discord',
        secret: discordSender.secret,
        privateKey: DISCORD_PRIVATE_KEY,
        payload: DISCORD_EVENT,
        timestamp: at,
      }),
  },
  {
    // A fresh token and timestamp on every attempt, as Mailgun signs each request.
    source: 'mailgun',
    make: ({ at }) =>
      signWebhook({
        provider: 'mailgun',
        secret: mailgunSender.secret,
        payload: MAILGUN_EVENT_WITHOUT_ID,
        timestamp: at,
      }),
  },
];

describe('a retry its sender signed again at another second', () => {
  let app: SendersApp['app'];
  let port: number;

  beforeAll(async () => {
    ({ app, port } = await startSendersApp('express'));
  });

  afterAll(async () => {
    await app.close();
  });

  beforeEach(() => {
    runs.length = 0;
  });

  it.each(CASES)('$source: is answered as a duplicate, and the handler runs once', async ({ source, make }) => {
    const url = `http://127.0.0.1:${port}/webhooks/${source}`;
    const now = Date.now();
    // Both inside every window (Calendly's is 180 s, past only): a minute apart.
    const first = await make({ url, at: new Date(now - 60_000), attempt: 0 });
    const retry = await make({ url, at: new Date(now), attempt: 1 });
    // Another signature (in a header, or in Mailgun's body).
    expect(retry).not.toEqual(first);

    const answer = await send(port, `/webhooks/${source}`, first);
    expect(answer.status).toBeLessThan(300);
    expect(runs.filter((run) => run.source === source)).toHaveLength(1);
    const deliveryId = runs[0]!.context.deliveryId;

    const again = await send(port, `/webhooks/${source}`, retry);
    expect(again.status).toBe(answer.status);
    // Discord's events are acknowledged with an empty 204 either way; the others get the receipt.
    if (again.body !== '') expect(JSON.parse(again.body)).toMatchObject({ deliveryId, duplicate: true });
    expect(runs.filter((run) => run.source === source)).toHaveLength(1);
  });
});
