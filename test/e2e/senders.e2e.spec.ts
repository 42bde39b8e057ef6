import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { signWebhook } from '../../lib/index.js';
import { DISCORD_PRIVATE_KEY, discordSender } from '../senders/discord.sender.js';
import { SENDER_FIXTURES } from '../senders/index.js';
import type { SenderFixture, WireDelivery } from '../senders/sender-fixture.js';
import { squareSender } from '../senders/square.sender.js';
import { twilioSender } from '../senders/twilio.sender.js';
import { PLATFORMS } from './fixtures/test-app.js';
import { EXTRA_SOURCES, runs, send, startSendersApp, type Answer, type SendersApp } from './fixtures/senders-app.js';

/**
 * The delivery with one byte of what its sender signs changed: a letter of the body (so JSON
 * stays JSON, and the body parser in front of the module does not refuse it first), GitLab's
 * token (it signs nothing), Mailgun's signature (the only signed part of its body).
 */
function tampered(fixture: SenderFixture, delivery: WireDelivery): WireDelivery {
  if (fixture.provider === 'gitlab') {
    const name = Object.keys(delivery.headers).find((header) => header.toLowerCase() === 'x-gitlab-token')!;
    return { ...delivery, headers: { ...delivery.headers, [name]: `${delivery.headers[name]}x` } };
  }
  const text = delivery.body.toString('latin1');
  const quoted = /"[^"\\]*?[a-y]/.exec(text);
  const at =
    fixture.provider === 'mailgun'
      ? text.indexOf('"signature":"') + '"signature":"'.length
      : quoted
        ? quoted.index + quoted[0].length - 1
        : text.search(/[a-y](?=[^a-y]*$)/);
  expect(at).toBeGreaterThan(0);
  const body = Buffer.from(delivery.body);
  body[at] = body[at]! === 0x61 ? 0x62 : body[at]! - 1;
  return { ...delivery, body };
}

const mediaType = (answer: Answer): string | undefined => answer.headers['content-type']?.split(';')[0]?.trim();

describe.each(PLATFORMS)('the 25 presets over real HTTP on %s', (platform) => {
  let app: SendersApp['app'];
  let port: number;
  const urlOf = (source: string) => `http://127.0.0.1:${port}/webhooks/${source}`;

  beforeAll(async () => {
    ({ app, port } = await startSendersApp(platform));
  });

  afterAll(async () => {
    await app.close();
  });

  beforeEach(() => {
    runs.length = 0;
  });

  describe.each(SENDER_FIXTURES)('$provider', (fixture) => {
    it('takes a realistic delivery to its handler, with the id, event and timestamp its sender wrote', async () => {
      const url = urlOf(fixture.provider);
      const delivery = await fixture.delivery({ url, now: new Date() });
      const answer = await send(port, `/webhooks/${fixture.provider}`, delivery);
      expect(answer.status).toBe(200);
      const handled = runs.filter((run) => run.source === fixture.provider);
      expect(handled).toHaveLength(1);
      const { expected } = fixture;
      expect(handled[0]!.context.deliveryId).toBe(expected.deliveryId);
      expect(handled[0]!.context.event).toBe(expected.event);
      expect(handled[0]!.context.provider).toBe(fixture.provider);
      if (expected.timestamp) expect(handled[0]!.context.timestamp?.getTime()).toBe(expected.timestamp.getTime());
      // Sent again (a retry): a duplicate, and the handler does not run twice.
      const repeat = await send(port, `/webhooks/${fixture.provider}`, delivery);
      expect(repeat.status).toBeLessThan(300);
      expect(runs.filter((run) => run.source === fixture.provider)).toHaveLength(1);
    });

    it('refuses the delivery with one signed byte changed (401), and runs no handler', async () => {
      const url = urlOf(fixture.provider);
      const delivery = tampered(fixture, await fixture.delivery({ url, now: new Date() }));
      const answer = await send(port, `/webhooks/${fixture.provider}`, delivery);
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.body)).toMatchObject({ statusCode: 401 });
      expect(runs).toHaveLength(0);
    });

    const handshakes = fixture.handshakes ?? [];
    if (handshakes.length > 0) {
      it.each(handshakes.map((handshake) => [handshake.name, handshake] as const))(
        'answers the %s handshake itself: no handler, nothing stored',
        async (_name, handshake) => {
          const delivery = await handshake.delivery({ url: urlOf(fixture.provider), now: new Date() });
          for (let attempt = 0; attempt < 2; attempt += 1) {
            const answer = await send(port, `/webhooks/${fixture.provider}`, delivery);
            expect(answer.status).toBe(handshake.expected.status);
            if (handshake.expected.contentType) expect(mediaType(answer)).toBe(handshake.expected.contentType);
            const body = handshake.expected.body;
            if (typeof body === 'string') expect(answer.body).toBe(body);
            else if (body) body(answer.body);
            else expect(answer.body).toBe('');
          }
          expect(runs).toHaveLength(0);
          // The same handshake, tampered: refused like any delivery.
          expect((await send(port, `/webhooks/${fixture.provider}`, tampered(fixture, delivery))).status).toBe(401);
        },
      );
    }
  });

  describe('answers that senders read', () => {
    it("sends a responding handler's object as Discord's interaction response (JSON)", async () => {
      const delivery = await discordSender.delivery({ url: urlOf('discord-bot'), now: new Date() });
      const answer = await send(port, '/webhooks/discord-bot', delivery);
      expect(answer.status).toBe(200);
      expect(mediaType(answer)).toBe('application/json');
      expect(JSON.parse(answer.body)).toEqual({ type: 4, data: { content: 'Rolled for /roll' } });
      expect(runs.map((run) => run.source)).toEqual(['discord-bot']);
    });

    it("answers a Twilio message with the responding handler's TwiML (text/xml)", async () => {
      const delivery = await twilioSender.delivery({ url: urlOf('sms'), now: new Date() });
      const answer = await send(port, '/webhooks/sms', delivery);
      expect(answer.status).toBe(200);
      expect(mediaType(answer)).toBe('text/xml');
      const message = runs[0]!.payload as Record<string, string>;
      expect(answer.body).toBe(`<Response><Message>Got: ${message.Body}</Message></Response>`);
    });

    it('leaves the usual 200 receipt where no handler responds', async () => {
      const sent = await twilioSender.delivery({ url: urlOf('twilio'), now: new Date() });
      // A new idempotency token (Twilio does not sign it): a new delivery, not a repeat of the one sent before.
      const delivery = { ...sent, headers: { ...sent.headers, 'I-Twilio-Idempotency-Token': 'fresh-token-1' } };
      const answer = await send(port, '/webhooks/twilio', delivery);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ received: true, handled: 1 });
    });

    it("acknowledges Discord's webhook events with 204, as Discord's own middleware does", async () => {
      const event = {
        version: 1,
        application_id: '1251316715767504957',
        type: 1,
        event: { type: 'APPLICATION_AUTHORIZED', timestamp: new Date().toISOString(), data: { scopes: ['bot'] } },
      };
      const signed = signWebhook({
        provider: 'discord',
        secret: discordSender.secret,
        privateKey: DISCORD_PRIVATE_KEY,
        payload: event,
      });
      const answer = await send(port, '/webhooks/discord', signed);
      expect(answer.status).toBe(204);
      expect(answer.body).toBe('');
      expect(runs.map((run) => run.context.event)).toEqual(['APPLICATION_AUTHORIZED']);
      expect((await send(port, '/webhooks/discord', signed)).status).toBe(204);
      expect(runs).toHaveLength(1);
    });
  });

  describe.each([twilioSender, squareSender])('$provider behind a proxy', (fixture) => {
    it('verifies the URL the sender called, rebuilt from X-Forwarded-Proto and X-Forwarded-Host', async () => {
      const publicUrl = `https://hooks.example.com/webhooks/${fixture.provider}`;
      const delivery = await fixture.delivery({ url: publicUrl, now: new Date() });
      const proxied = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'hooks.example.com' };
      expect((await send(port, `/webhooks/${fixture.provider}`, delivery, proxied)).status).toBe(200);
      // Without the forwarded headers the app sees another URL: not the one signed.
      const direct = await fixture.delivery({ url: publicUrl, now: new Date() });
      const refused = await send(port, `/webhooks/${fixture.provider}`, direct);
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.body).reason).toBe('invalid_signature');
    });

    it("verifies the URL set in the source's url option, whatever the request looked like", async () => {
      const source = `${fixture.provider}-fixed`;
      const configured = EXTRA_SOURCES[source]!.url!;
      const delivery = await fixture.delivery({ url: configured, now: new Date() });
      expect((await send(port, `/webhooks/${source}`, delivery)).status).toBe(200);
      expect(runs.map((run) => run.source)).toEqual([source]);
      const local = await fixture.delivery({ url: urlOf(source), now: new Date() });
      expect((await send(port, `/webhooks/${source}`, local)).status).toBe(401);
    });
  });
});
