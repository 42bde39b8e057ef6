import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { verifySlackRequest } from '@slack/bolt';
import {
  IncomingWebhook,
  signWebhook,
  verifyWebhook,
  WebhookConfigurationError,
  WebhookPayloadError,
  type WebhookHeaders,
} from '../../lib/index.js';
import { slackProvider } from '../../lib/providers/slack.provider.js';
import { slackSender } from '../senders/slack.sender.js';
import { flipByte, isRejected, reasonOf } from '../core/rejections.js';

const SECRET = 'e3b8c1f07d2a4c6b9f1e5d8a7c0b2f46';
const SENT = new Date('2024-05-06T12:53:20Z');
const SENT_SECONDS = String(SENT.getTime() / 1000);

const APP_MENTION = JSON.stringify({
  token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl',
  team_id: 'T061EG9R6',
  event: { type: 'app_mention', user: 'U061F7AUR', text: '<@U0LAN0Z89> hi', channel: 'C0LAN2Q65' },
  type: 'event_callback',
  event_id: 'Ev0PV52K25',
  event_time: 1715000000,
});
const SLASH_COMMAND =
  'token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example&channel_id=C2147483705&channel_name=test' +
  '&user_id=U2147483697&user_name=Steve&command=%2Fdeploy&text=api+to+staging' +
  '&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1234%2F5678&trigger_id=13345224609.738474920.8088930838d88f008e0';
const BLOCK_ACTIONS = JSON.stringify({
  type: 'block_actions',
  user: { id: 'U0CA5', username: 'Amy McGee', team_id: 'T3MDE' },
  trigger_id: '12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3',
  actions: [{ action_id: 'approve', block_id: 'b1', value: 'yes', type: 'button', action_ts: '1548426417.840180' }],
});
const INTERACTIVITY = `payload=${encodeURIComponent(BLOCK_ACTIONS)}`;

/** Slack's recipe by hand: `v0=` + hex HMAC-SHA256 of `v0:<ts>:<body>`. */
function v0(timestamp: string, body: string | Buffer, secret = SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest('hex')}`;
}

function headersFor(body: string | Buffer, options: { timestamp?: string; contentType?: string } = {}) {
  const { timestamp = SENT_SECONDS, contentType = 'application/json' } = options;
  return {
    'content-type': contentType,
    'x-slack-request-timestamp': timestamp,
    'x-slack-signature': v0(timestamp, body),
  };
}

function verify(
  headers: WebhookHeaders,
  body: string | Buffer,
  options: { secret?: string | string[]; now?: Date; toleranceSeconds?: number } = {},
) {
  const { secret = SECRET, now = SENT, toleranceSeconds } = options;
  return verifyWebhook({ provider: slackProvider, secret, headers, rawBody: Buffer.from(body), now, toleranceSeconds });
}

/** Bolt's verdict, as its HTTP receiver asks for it. */
function boltAccepts(headers: Record<string, string>, body: Buffer | string, now: Date, secret = SECRET): boolean {
  try {
    verifySlackRequest({
      signingSecret: secret,
      body: body.toString(),
      headers: {
        'x-slack-signature': headers['x-slack-signature']!,
        'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']),
      },
      nowMilliseconds: now.getTime(),
    });
    return true;
  } catch {
    return false;
  }
}

async function parsed(headers: WebhookHeaders, body: string) {
  return (await slackProvider.parse(new IncomingWebhook(headers, Buffer.from(body)))).payload;
}

describe('slack provider', () => {
  describe('Slack\'s worked example ("Verifying requests from Slack")', () => {
    const secret = '8f742231b10e8888abcd99yyyzzz85a5';
    const timestamp = '1531420618';
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V' +
      '&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=' +
      '&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN' +
      '&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const headers = {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Slack-Request-Timestamp': timestamp,
      'X-Slack-Signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    };
    const now = new Date((Number(timestamp) + 60) * 1000);

    it('verifies: the slash command is the event, the digest the id, the header the timestamp', () => {
      const result = verify(headers, body, { secret, now });
      expect(result.event).toBe('/webhook-collect');
      expect(result.deliveryId).toMatch(/^[0-9a-f]{32}$/);
      expect(result.timestamp).toEqual(new Date(Number(timestamp) * 1000));
      expect(result.handshake).toBeUndefined();
    });

    it('rejects another secret, a changed byte of the body, or another timestamp', () => {
      expect(reasonOf(() => verify(headers, body, { secret: `${secret}x`, now }))).toBe('invalid_signature');
      for (let offset = 0; offset < body.length; offset += 11) {
        expect(reasonOf(() => verify(headers, flipByte(Buffer.from(body), offset, 0x01), { secret, now }))).toBe(
          'invalid_signature',
        );
      }
      const later = { ...headers, 'X-Slack-Request-Timestamp': String(Number(timestamp) + 1) };
      expect(reasonOf(() => verify(later, body, { secret, now }))).toBe('invalid_signature');
    });

    it('is what signWebhook writes for that body, timestamp and secret', () => {
      const signed = signWebhook({
        provider: slackProvider,
        secret,
        payload: body,
        timestamp: new Date(Number(timestamp) * 1000),
      });
      expect(signed.headers).toEqual({
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': timestamp,
        'x-slack-signature': headers['X-Slack-Signature'],
      });
    });
  });

  describe("against @slack/bolt's verifySlackRequest", () => {
    it.each([
      ['an Events API delivery', APP_MENTION],
      ['a slash command', SLASH_COMMAND],
      ['an interactivity form', INTERACTIVITY],
      [
        'a body with non-ASCII text',
        '{"type":"event_callback","event":{"type":"message","text":"Jo\u00e3o \u{1F600}"}}',
      ],
    ])('accepts %s that signWebhook signed, and refuses it with one byte changed', (_label, body) => {
      const now = new Date();
      const signed = signWebhook({ provider: slackProvider, secret: SECRET, payload: body, timestamp: now });
      expect(boltAccepts(signed.headers, signed.body, now)).toBe(true);
      for (let offset = 0; offset < signed.body.length; offset += 7) {
        expect(boltAccepts(signed.headers, flipByte(signed.body, offset, 0x04), now)).toBe(false);
      }
      const later = {
        ...signed.headers,
        'x-slack-request-timestamp': String(Number(signed.headers['x-slack-request-timestamp']) + 1),
      };
      expect(boltAccepts(later, signed.body, now)).toBe(false);
      expect(boltAccepts(signed.headers, signed.body, now, `${SECRET}x`)).toBe(false);
      expect(verify(signed.headers, signed.body, { now }).timestamp).toEqual(
        new Date(Math.floor(now.getTime() / 1000) * 1000),
      );
    });

    it('agrees with Bolt on what is signed: a hand-made signature both accept, both refuse tampered', () => {
      const headers = headersFor(APP_MENTION);
      expect(boltAccepts(headers, APP_MENTION, SENT)).toBe(true);
      expect(verify(headers, APP_MENTION).deliveryId).toBe('Ev0PV52K25');
      const tampered = flipByte(Buffer.from(APP_MENTION), 40, 0x02);
      expect(boltAccepts(headers, tampered, SENT)).toBe(false);
      expect(reasonOf(() => verify(headers, tampered))).toBe('invalid_signature');
    });

    it('agrees with Bolt on the window: 300 s old passes, 301 s old fails, an hour ahead passes', () => {
      const headers = headersFor(APP_MENTION);
      const at = (seconds: number) => new Date(SENT.getTime() + seconds * 1000);
      expect(boltAccepts(headers, APP_MENTION, at(300))).toBe(true);
      expect(verify(headers, APP_MENTION, { now: at(300) }).event).toBe('app_mention');
      expect(boltAccepts(headers, APP_MENTION, at(301))).toBe(false);
      expect(reasonOf(() => verify(headers, APP_MENTION, { now: at(301) }))).toBe('timestamp_out_of_window');
      expect(boltAccepts(headers, APP_MENTION, at(-3600))).toBe(true);
      expect(verify(headers, APP_MENTION, { now: at(-3600) }).event).toBe('app_mention');
    });
  });

  describe('delivery id, event and timestamp', () => {
    it('an event_callback: event_id, the inner event.type, the header timestamp', () => {
      expect(verify(headersFor(APP_MENTION), APP_MENTION)).toEqual({
        deliveryId: 'Ev0PV52K25',
        event: 'app_mention',
        timestamp: SENT,
        handshake: undefined,
      });
    });

    it('other JSON: its type, and the digest without an event_id', () => {
      const body =
        '{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","type":"app_rate_limited","team_id":"T123456","minute_rate_limited":1518467820,"api_app_id":"A123456"}';
      const result = verify(headersFor(body), body);
      expect(result.event).toBe('app_rate_limited');
      expect(result.deliveryId).toMatch(/^[0-9a-f]{32}$/);
    });

    it('an event_callback without an inner type has no event', () => {
      const body = '{"type":"event_callback","event_id":"Ev1","event":{"user":"U1"}}';
      expect(verify(headersFor(body), body).event).toBeUndefined();
    });

    it('a slash command: its command; interactivity: the type of its payload; both digest ids', () => {
      const form = 'application/x-www-form-urlencoded';
      const command = verify(headersFor(SLASH_COMMAND, { contentType: form }), SLASH_COMMAND);
      expect(command.event).toBe('/deploy');
      expect(command.deliveryId).toMatch(/^[0-9a-f]{32}$/);
      const action = verify(headersFor(INTERACTIVITY, { contentType: `${form}; charset=utf-8` }), INTERACTIVITY);
      expect(action.event).toBe('block_actions');
      expect(action.deliveryId).toMatch(/^[0-9a-f]{32}$/);
      expect(action.deliveryId).not.toBe(command.deliveryId);
    });

    it('without a content type: JSON when it parses, a form otherwise', () => {
      const json = { ...headersFor(APP_MENTION), 'content-type': '' };
      expect(verify(json, APP_MENTION).event).toBe('app_mention');
      const form = { ...headersFor(SLASH_COMMAND), 'content-type': '' };
      expect(verify(form, SLASH_COMMAND).event).toBe('/deploy');
    });

    it.each([
      ['not JSON at all', 'this is not json {', 'application/json'],
      ['JSON that is not an object', '[1,2,3]', 'application/json'],
      ['an empty body', '', 'application/json'],
      ['a form with neither command nor payload', 'foo=bar', 'application/x-www-form-urlencoded'],
      ['a form whose payload is not JSON', 'payload=%7Bnope', 'application/x-www-form-urlencoded'],
    ])('verifies %s cleanly: digest id, no event, no handshake', (_label, body, contentType) => {
      const result = verify(headersFor(body, { contentType }), body);
      expect(result.deliveryId).toMatch(/^[0-9a-f]{32}$/);
      expect(result.event).toBeUndefined();
      expect(result.handshake).toBeUndefined();
    });

    it('does not parse the body to verify it', () => {
      const delivery = new IncomingWebhook(headersFor(APP_MENTION), Buffer.from(APP_MENTION));
      let parses = 0;
      const json = delivery.json.bind(delivery);
      delivery.json = () => {
        parses += 1;
        return json();
      };
      const keys = slackProvider.prepareKeys({ secrets: [SECRET] });
      const verified = slackProvider.verify(delivery, keys, { toleranceSeconds: 300, now: SENT });
      expect(verified.handshake).toBeUndefined();
      expect(parses).toBe(0);
      expect(verified.event).toBe('app_mention');
      expect(parses).toBeGreaterThan(0);
    });
  });

  describe('window', () => {
    const headers = headersFor(APP_MENTION);
    const at = (seconds: number) => new Date(SENT.getTime() + seconds * 1000);

    it('is 300 s into the past by default, ahead of the clock unlimited, configurable, off with 0', () => {
      expect(verify(headers, APP_MENTION, { now: at(300) }).timestamp).toEqual(SENT);
      expect(reasonOf(() => verify(headers, APP_MENTION, { now: at(301) }))).toBe('timestamp_out_of_window');
      expect(verify(headers, APP_MENTION, { now: at(-86_400) }).timestamp).toEqual(SENT);
      expect(reasonOf(() => verify(headers, APP_MENTION, { now: at(11), toleranceSeconds: 10 }))).toBe(
        'timestamp_out_of_window',
      );
      expect(verify(headers, APP_MENTION, { now: at(10 * 365 * 86_400), toleranceSeconds: 0 }).timestamp).toEqual(SENT);
    });

    it('checks the window before the signature, so a stale replay costs no HMAC', () => {
      const stale = { ...headers, 'x-slack-signature': `v0=${'0'.repeat(64)}` };
      expect(reasonOf(() => verify(stale, APP_MENTION, { now: at(301) }))).toBe('timestamp_out_of_window');
    });
  });

  describe('rotation', () => {
    it('verifies with either secret of [new, old] and signs with the first', () => {
      const next = 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5';
      expect(verify(headersFor(APP_MENTION), APP_MENTION, { secret: [next, SECRET] }).deliveryId).toBe('Ev0PV52K25');
      const byNew = { ...headersFor(APP_MENTION), 'x-slack-signature': v0(SENT_SECONDS, APP_MENTION, next) };
      expect(verify(byNew, APP_MENTION, { secret: [next, SECRET] }).deliveryId).toBe('Ev0PV52K25');
      expect(reasonOf(() => verify(byNew, APP_MENTION, { secret: [SECRET] }))).toBe('invalid_signature');
      const signed = signWebhook({
        provider: slackProvider,
        secret: [next, SECRET],
        payload: APP_MENTION,
        timestamp: SENT,
      });
      expect(signed.headers['x-slack-signature']).toBe(byNew['x-slack-signature']);
    });
  });

  describe('malformed headers', () => {
    const good = headersFor(APP_MENTION);
    const without = (name: string) => Object.fromEntries(Object.entries(good).filter(([key]) => key !== name));

    it('a missing signature is missing_signature; a missing or empty timestamp missing_timestamp', () => {
      expect(reasonOf(() => verify(without('x-slack-signature'), APP_MENTION))).toBe('missing_signature');
      expect(reasonOf(() => verify({ ...good, 'x-slack-signature': '' }, APP_MENTION))).toBe('missing_signature');
      expect(reasonOf(() => verify(without('x-slack-request-timestamp'), APP_MENTION))).toBe('missing_timestamp');
      expect(reasonOf(() => verify({ ...good, 'x-slack-request-timestamp': '' }, APP_MENTION))).toBe(
        'missing_timestamp',
      );
    });

    it.each([
      ['without v0=', good['x-slack-signature'].slice(3)],
      ['another version', `v1=${good['x-slack-signature'].slice(3)}`],
      ['upper-case V0=', `V0=${good['x-slack-signature'].slice(3)}`],
      ['not hex', `v0=${'z'.repeat(64)}`],
      ['too short', good['x-slack-signature'].slice(0, -2)],
      ['two signatures joined', `${good['x-slack-signature']},${good['x-slack-signature']}`],
      ['sent twice', [good['x-slack-signature'], good['x-slack-signature']]],
      ['a thousand entries', Array.from({ length: 1000 }, () => good['x-slack-signature']).join(' ')],
    ])('a signature %s is malformed_signature', (_label, signature) => {
      expect(reasonOf(() => verify({ ...good, 'x-slack-signature': signature }, APP_MENTION))).toBe(
        'malformed_signature',
      );
    });

    it.each([
      ['in milliseconds', String(SENT.getTime())],
      ['with a fraction', `${SENT_SECONDS}.5`],
      ['negative', '-1'],
      ['with letters', '17150000O0'],
      ['sent twice', [SENT_SECONDS, SENT_SECONDS]],
    ])('a timestamp %s is malformed_timestamp', (_label, timestamp) => {
      expect(reasonOf(() => verify({ ...good, 'x-slack-request-timestamp': timestamp }, APP_MENTION))).toBe(
        'malformed_timestamp',
      );
    });

    it('accepts header names in any case', () => {
      const headers = Object.fromEntries(Object.entries(good).map(([name, value]) => [name.toUpperCase(), value]));
      expect(verify(headers, APP_MENTION).event).toBe('app_mention');
    });

    it('refuses no secret or an empty one at configuration', () => {
      expect(() => signWebhook({ provider: slackProvider, payload: APP_MENTION })).toThrow(WebhookConfigurationError);
      expect(() => signWebhook({ provider: slackProvider, secret: '', payload: APP_MENTION })).toThrow(
        WebhookConfigurationError,
      );
    });
  });

  describe('url_verification handshake', () => {
    const challenge = '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P';
    const body = `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"${challenge}","type":"url_verification"}`;

    it('answers 200 text/plain with the challenge once the signature verifies', () => {
      const result = verify(headersFor(body), body);
      expect(result.event).toBe('url_verification');
      expect(result.handshake).toMatchObject({ status: 200, body: challenge });
      expect(result.handshake?.contentType).toMatch(/^text\/plain/);
    });

    it('is never answered without a valid signature', () => {
      const unsigned: Record<string, string> = { ...headersFor(body) };
      delete unsigned['x-slack-signature'];
      expect(reasonOf(() => verify(unsigned, body))).toBe('missing_signature');
      const forged = body.replace(challenge, 'attacker-chosen');
      expect(reasonOf(() => verify(headersFor(body), forged))).toBe('invalid_signature');
      expect(reasonOf(() => verify(headersFor(body), body, { secret: 'another-secret' }))).toBe('invalid_signature');
    });

    it('is not a handshake without a string challenge, or when url_verification is only mentioned', () => {
      const noChallenge = '{"type":"url_verification"}';
      expect(verify(headersFor(noChallenge), noChallenge).handshake).toBeUndefined();
      const mention = JSON.stringify({
        type: 'event_callback',
        event_id: 'Ev9',
        event: { type: 'message', text: 'url_verification', challenge: 'x' },
        challenge: 'x',
      });
      const result = verify(headersFor(mention), mention);
      expect(result.handshake).toBeUndefined();
      expect(result.event).toBe('message');
    });

    it('answers a signed ssl_check with 200 and no body, as Bolt does', () => {
      const ssl = 'ssl_check=1&token=gIkuvaNzQIHg97ATvDxqgjtO';
      const result = verify(headersFor(ssl, { contentType: 'application/x-www-form-urlencoded' }), ssl);
      expect(result.handshake).toMatchObject({ status: 200, body: undefined });
    });
  });

  describe('parse', () => {
    it('gives JSON as parsed', async () => {
      expect(await parsed({ 'content-type': 'application/json' }, APP_MENTION)).toEqual(JSON.parse(APP_MENTION));
    });

    it("gives a slash command's fields as an object of strings", async () => {
      const payload = await parsed({ 'content-type': 'application/x-www-form-urlencoded' }, SLASH_COMMAND);
      expect(payload).toMatchObject({ command: '/deploy', text: 'api to staging', user_name: 'Steve' });
    });

    it('gives interactivity its parsed payload, as Bolt does', async () => {
      expect(await parsed({ 'content-type': 'application/x-www-form-urlencoded' }, INTERACTIVITY)).toEqual(
        JSON.parse(BLOCK_ACTIONS),
      );
    });

    it('refuses an interactivity payload that is not JSON as unparseable_payload', async () => {
      const error = await slackProvider
        .parse(new IncomingWebhook({ 'content-type': 'application/x-www-form-urlencoded' }, Buffer.from('payload=%7B')))
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(WebhookPayloadError);
      expect((error as WebhookPayloadError).reason).toBe('unparseable_payload');
    });
  });

  describe('signWebhook', () => {
    it('posts objects with a command or a payload as forms, as Slack does, and others as JSON', () => {
      const command = signWebhook({
        provider: slackProvider,
        secret: SECRET,
        timestamp: SENT,
        payload: { command: '/deploy', text: 'api to staging', user_id: 'U1' },
      });
      expect(command.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(command.body.toString()).toBe('command=%2Fdeploy&text=api+to+staging&user_id=U1');
      expect(verify(command.headers, command.body).event).toBe('/deploy');

      const action = signWebhook({
        provider: slackProvider,
        secret: SECRET,
        timestamp: SENT,
        payload: { payload: JSON.parse(BLOCK_ACTIONS) },
      });
      expect(action.body.toString()).toBe(new URLSearchParams({ payload: BLOCK_ACTIONS }).toString());
      expect(verify(action.headers, action.body).event).toBe('block_actions');

      const event = signWebhook({
        provider: slackProvider,
        secret: SECRET,
        timestamp: SENT,
        payload: JSON.parse(APP_MENTION),
      });
      expect(event.headers['content-type']).toBe('application/json');
      expect(event.body.toString()).toBe(APP_MENTION);
      expect(boltAccepts(event.headers, event.body, SENT)).toBe(true);
    });
  });

  describe('sender fixture', () => {
    it('delivers what the provider verifies, Bolt accepts, the floor accepts, and a changed byte fails all three', async () => {
      const now = new Date();
      const url = 'https://hooks.example.com/webhooks/slack';
      const delivery = await slackSender.delivery({ url, now });
      const result = verify(delivery.headers, delivery.body, { secret: SECRET, now });
      expect({ deliveryId: result.deliveryId, event: result.event }).toEqual(slackSender.expected);
      expect(await slackSender.sdkAccepts!({ delivery, url, now })).toBe(true);
      expect(slackSender.floor({ delivery, url })).toBe(true);
      const tampered = { ...delivery, body: flipByte(delivery.body, 20, 0x01) };
      expect(await slackSender.sdkAccepts!({ delivery: tampered, url, now })).toBe(false);
      expect(slackSender.floor({ delivery: tampered, url })).toBe(false);
      expect(isRejected(() => verify(tampered.headers, tampered.body, { now }))).toBe(true);
    });

    it('has a url_verification handshake the provider answers as expected', async () => {
      const now = new Date();
      const [handshake] = slackSender.handshakes!;
      const delivery = await handshake!.delivery({ url: 'https://hooks.example.com/webhooks/slack', now });
      const answer = verify(delivery.headers, delivery.body, { now }).handshake!;
      expect(answer.status).toBe(handshake!.expected.status);
      expect(answer.contentType?.split(';')[0]).toBe(handshake!.expected.contentType);
      expect(answer.body).toBe(handshake!.expected.body);
    });
  });
});
