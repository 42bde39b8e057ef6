import crypto, { createHmac, timingSafeEqual } from 'node:crypto';
import { signWebhook } from '../../lib/index.js';
import { mailgunProvider } from '../../lib/providers/mailgun.provider.js';
import type { SenderFixture } from './sender-fixture.js';

const SIGNING_KEY = 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0';
const EVENT_ID = 'CPgfbmQMTCKtHW6uIWtuVe';

/** A `delivered` event as Mailgun posts it, without its `signature` object (names and subject in UTF-8). */
export const MAILGUN_DELIVERED_EVENT = {
  'event-data': {
    id: EVENT_ID,
    timestamp: 1714564799.812345,
    'log-level': 'info',
    event: 'delivered',
    'delivery-status': {
      tls: true,
      'mx-host': 'smtp-in.example.com',
      code: 250,
      description: '',
      'session-seconds': 0.43,
      utf8: true,
      'attempt-no': 1,
      message: 'OK',
      'certificate-verified': true,
    },
    flags: { 'is-routed': false, 'is-authenticated': true, 'is-system-test': false, 'is-test-mode': false },
    envelope: {
      transport: 'smtp',
      sender: 'bob@mg.example.com',
      'sending-ip': '209.61.154.250',
      targets: 'joao@example.com',
    },
    message: {
      headers: {
        to: 'João Silva <joao@example.com>',
        'message-id': '20240501120000.1.5F3C2A1B0D9E8F7A@mg.example.com',
        from: 'Bob <bob@mg.example.com>',
        subject: 'Olá, João: a sua encomenda #1042',
      },
      attachments: [],
      size: 1111,
    },
    recipient: 'joao@example.com',
    'recipient-domain': 'example.com',
    storage: { url: 'https://se.api.mailgun.net/v3/domains/mg.example.com/messages/message_key', key: 'message_key' },
    campaigns: [],
    tags: ['welcome'],
    'user-variables': {},
  },
};

/**
 * The Node.js snippet of Mailgun's documentation (Securing Webhooks), as published:
 * concatenate timestamp and token, HMAC-SHA256 with the signing key, hex, compare.
 */
export const mailgunDocsVerify = ({
  signingKey,
  timestamp,
  token,
  signature,
}: {
  signingKey: string;
  timestamp: string;
  token: string;
  signature: string;
}): boolean => {
  const encodedToken = crypto.createHmac('sha256', signingKey).update(timestamp.concat(token)).digest('hex');

  return encodedToken === signature;
};

interface SignatureObject {
  readonly timestamp: string;
  readonly token: string;
  readonly signature: string;
}

function signatureObjectOf(body: Buffer): SignatureObject | undefined {
  try {
    const signature = (JSON.parse(body.toString('utf8')) as { signature?: SignatureObject }).signature;
    return typeof signature === 'object' && signature !== null ? signature : undefined;
  } catch {
    return undefined;
  }
}

/** The last delivery's signed timestamp (each delivery is signed at its own `now`). */
let lastTimestamp: Date | undefined;

/** Mailgun has no SDK check: written by `signWebhook`, checked with the snippet of its documentation. */
export const mailgunSender: SenderFixture = {
  provider: 'mailgun',
  secret: SIGNING_KEY,
  signedBy: "signWebhook (checked with the Node.js snippet of Mailgun's documentation)",

  delivery({ now }) {
    const signed = signWebhook({
      provider: mailgunProvider,
      secret: SIGNING_KEY,
      timestamp: now,
      payload: MAILGUN_DELIVERED_EVENT,
    });
    lastTimestamp = new Date(Math.floor(now.getTime() / 1000) * 1000);
    return {
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'mailgun/treq-16.12.0' },
      body: signed.body,
    };
  },

  /** The facts of the last {@link delivery}: its timestamp is the `now` it was signed at, in whole seconds. */
  get expected() {
    return { deliveryId: EVENT_ID, event: 'delivered', timestamp: lastTimestamp };
  },

  sdkAccepts({ delivery }) {
    const signature = signatureObjectOf(delivery.body);
    if (!signature) return false;
    const { timestamp, token } = signature;
    if (typeof timestamp !== 'string' || typeof token !== 'string') return false;
    return mailgunDocsVerify({ signingKey: SIGNING_KEY, timestamp, token, signature: signature.signature });
  },

  floor({ delivery }) {
    const { timestamp, token, signature } = signatureObjectOf(delivery.body)!;
    const received = Buffer.from(signature, 'hex');
    const expected = createHmac('sha256', SIGNING_KEY).update(timestamp).update(token).digest();
    return received.length === expected.length && timingSafeEqual(received, expected);
  },
};
