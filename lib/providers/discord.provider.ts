import { sign as signMessage, verify as verifyMessage, type KeyObject } from 'node:crypto';
import { bodyDigestId, decodeSignature } from '../core/crypto.js';
import { WebhookConfigurationError, WebhookVerificationError } from '../core/errors/index.js';
import {
  providerCannot,
  secretRequired,
  signatureMalformed,
  signatureMismatch,
} from '../core/errors/webhook.messages.js';
import { fieldOf, textFieldOf, type IncomingWebhook } from '../core/incoming-webhook.js';
import { lazyVerifiedWebhook, type LazyWebhookFields } from '../core/lazy-verified-webhook.js';
import { assertWithinWindow, parseEpochSeconds } from '../core/timestamp.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import type { VerifiedWebhook, WebhookProvider } from '../core/webhook-provider.js';
import { WebhookResponse } from '../core/webhook-response.js';
import { ed25519PublicKey, signingKeyOf } from '../core/asymmetric-keys.js';

const SIGNATURE_HEADER = 'x-signature-ed25519';
const TIMESTAMP_HEADER = 'x-signature-timestamp';
const ED25519_SIGNATURE_BYTES = 64;
/** The application public key as the Developer Portal shows it: 32 bytes in hex. */
const PUBLIC_KEY = /^[0-9a-fA-F]{64}$/;
/** Interaction types 1..5 by name, as Discord (and `discord-interactions`' `InteractionType`) names them. */
const INTERACTION_TYPES: Readonly<Record<number, string>> = {
  1: 'PING',
  2: 'APPLICATION_COMMAND',
  3: 'MESSAGE_COMPONENT',
  4: 'APPLICATION_COMMAND_AUTOCOMPLETE',
  5: 'MODAL_SUBMIT',
};
/** The answer to an interaction PING: a PONG (`InteractionResponseType.PONG`). */
const PONG = WebhookResponse.json({ type: 1 });
/** Discord's own middleware answers webhook events, PING included, with 204 and no body. */
const NO_CONTENT = WebhookResponse.empty(204);

/** The application's public keys (several while moving between applications). */
interface DiscordKeys {
  readonly publicKeys: readonly KeyObject[];
}

/** What a verified body turned out to be. */
type DiscordBody =
  | { readonly kind: 'interaction'; readonly id: string; readonly type: number }
  | { readonly kind: 'webhook-ping' }
  | { readonly kind: 'webhook-event'; readonly event: string | undefined }
  | { readonly kind: 'other' };

/**
 * Discord (interactions and webhook events): `X-Signature-Ed25519` is the hex ed25519
 * signature, under the application's key pair, of the `X-Signature-Timestamp` value
 * (epoch seconds) immediately followed by the raw body. The secret is the application
 * public key (64 hex characters); `sign` needs the private key (`privateKey`).
 *
 * Interactions (`type` 1..5 with an `id`): the delivery id is the body's `id` and the event
 * the type's name (`APPLICATION_COMMAND`, ...); a PING (type 1) is answered `{"type":1}`.
 * Webhook events (`{ version, application_id, type, event }`): no id, so a digest of the body
 * (not of the signature, which covers the timestamp and so changes when Discord signs a retry
 * again; each event carries its own `event.timestamp`); the event is `event.type`; a PING
 * (type 0) is answered 204, and every event is acknowledged with 204 as Discord's own
 * middleware does.
 *
 * `discord-interactions`' `verifyKey` checks no timestamp window: the 300 s window, both
 * ways, is this library's choice.
 */
export const discordProvider: WebhookProvider<DiscordKeys> = {
  name: 'discord',
  sensitiveHeaders: [SIGNATURE_HEADER],
  senderHeaders: [TIMESTAMP_HEADER],
  methods: ['POST'],
  contentType: 'application/json',
  summary: {
    sender: 'Discord',
    secret: 'application public key (64 hex characters); signing takes the private key',
    signatureHeader: '`X-Signature-Ed25519` (hex)',
    signedContent: '`<X-Signature-Timestamp><body>`',
    algorithm: 'Ed25519, hex',
    deliveryId:
      'interactions: body `id`; webhook events: digest of the body (the signature changes when a retry is signed again)',
    event: 'interactions: the type name (`APPLICATION_COMMAND`, ...); webhook events: `event.type`',
    timestamp: "`X-Signature-Timestamp`, seconds (300 s; the library's choice, Discord's SDK checks none)",
    handshake: 'interaction PING (type 1): `{"type":1}`; webhook-event PING (type 0): 204',
    checkedAgainst:
      '`discord-interactions` `verifyKey` accepts what `signWebhook` writes (Discord publishes no worked example)',
  },
  examples: [
    {
      event: 'APPLICATION_COMMAND',
      // A slash command, `/roll sides:20`, in a guild channel.
      payload: {
        application_id: '1251316715767504957',
        channel_id: '1016040327909326890',
        data: { id: '1251319823474618399', name: 'roll', options: [{ name: 'sides', type: 4, value: 20 }], type: 1 },
        guild_id: '1016040327011745863',
        id: '1252005811405094912',
        locale: 'en-GB',
        member: { user: { global_name: 'João', id: '301066102587408386', username: 'joao' } },
        token: 'aW50ZXJhY3Rpb246MTI1MjAwNTgxMTQwNTA5NDkxMjpTTk9wZ1RkM2VhaHJQZ2VKTGpyZ0lBdnlUa3M',
        type: 2,
        version: 1,
      },
    },
    {
      event: 'PING',
      // What Discord sends when the Interactions Endpoint URL is saved: answered `{"type":1}`.
      payload: {
        application_id: '1251316715767504957',
        id: '1252005811405094913',
        token: 'aW50ZXJhY3Rpb246MTI1MjAwNTgxMTQwNTA5NDkxMzpwaW5n',
        type: 1,
        user: { global_name: 'Discord', id: '643945264868098049', username: 'discord' },
        version: 1,
      },
    },
  ],

  prepareKeys({ secrets }) {
    if (secrets.length === 0) throw new WebhookConfigurationError(secretRequired('discord'));
    return { publicKeys: secrets.map(publicKeyOf) };
  },

  verify(delivery, keys, policy) {
    const received = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    const timestampText = delivery.headers.required(TIMESTAMP_HEADER, 'missing_timestamp', 'malformed_timestamp');
    const signature = decodeSignature(received, 'hex', ED25519_SIGNATURE_BYTES);
    if (!signature) {
      throw new WebhookVerificationError('malformed_signature', signatureMalformed(SIGNATURE_HEADER, 'hex', 'ed25519'));
    }
    const timestamp = parseEpochSeconds(timestampText, TIMESTAMP_HEADER);
    assertWithinWindow(timestamp, policy);
    // Ed25519 has no streaming form: the timestamp and body are joined once to be verified.
    const message = Buffer.concat([Buffer.from(timestampText, 'utf8'), delivery.rawBody]);
    if (!keys.publicKeys.some((key) => verifyMessage(null, message, key, signature))) {
      throw new WebhookVerificationError('invalid_signature', signatureMismatch(SIGNATURE_HEADER));
    }
    return verified(delivery, timestamp);
  },

  parse: parseWebhookBody,

  sign(input) {
    const key = signingKeyOf(
      'discord',
      input.privateKey,
      'ed25519',
      'an ed25519 private key (the application key pair)',
    );
    const timestamp = String(Math.floor(input.timestamp.getTime() / 1000));
    const signature = signMessage(null, Buffer.concat([Buffer.from(timestamp, 'utf8'), input.payload]), key);
    return {
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signature.toString('hex'),
        [TIMESTAMP_HEADER]: timestamp,
      },
      body: input.payload,
    };
  },
};

/**
 * The facts of a verified delivery. What kind of body it is (and so its id, event and
 * answer) is worked out once, on first use: the module asks for the id and handshake of
 * every delivery, `verifyWebhook` callers may never.
 */
function verified(delivery: IncomingWebhook, timestamp: Date): VerifiedWebhook {
  return lazyVerifiedWebhook(FROM_BODY, { delivery, body: undefined, id: undefined }, { timestamp });
}

/** What `verify` keeps for the fields read on first access; `body` is classified once, when first needed. */
interface DiscordState {
  readonly delivery: IncomingWebhook;
  body: DiscordBody | undefined;
  /** The id, once worked out. */
  id: string | undefined;
}

function kindOf(state: DiscordState): DiscordBody {
  return (state.body ??= classify(state.delivery.json()));
}

/** Everything but the timestamp comes from the body: read when first asked for. */
const FROM_BODY: LazyWebhookFields<DiscordState> = {
  deliveryId: (state) => {
    const seen = kindOf(state);
    return seen.kind === 'interaction' ? seen.id : (state.id ??= bodyDigestId(state.delivery.rawBody));
  },
  event: (state) => {
    const seen = kindOf(state);
    if (seen.kind === 'interaction') return INTERACTION_TYPES[seen.type];
    if (seen.kind === 'webhook-ping') return 'PING';
    return seen.kind === 'webhook-event' ? seen.event : undefined;
  },
  handshake: (state) => {
    const seen = kindOf(state);
    if (seen.kind === 'interaction' && seen.type === 1) return PONG;
    return seen.kind === 'webhook-ping' ? NO_CONTENT : undefined;
  },
  acknowledgement: (state) => (kindOf(state).kind === 'webhook-event' ? NO_CONTENT : undefined),
};

/**
 * Interactions carry an `id` and a `type` 1..5; webhook events carry no `id`, `type` 0
 * (PING) or 1 (an event, described in `event`). Anything else was still signed by Discord:
 * it verifies, with the body's digest as its id and no event.
 */
function classify(body: unknown): DiscordBody {
  const type = fieldOf(body, 'type');
  const id = textFieldOf(body, 'id');
  if (id !== undefined && typeof type === 'number' && INTERACTION_TYPES[type] !== undefined) {
    return { kind: 'interaction', id, type };
  }
  if (type === 0) return { kind: 'webhook-ping' };
  if (type === 1) return { kind: 'webhook-event', event: textFieldOf(fieldOf(body, 'event'), 'type') };
  return { kind: 'other' };
}

/**
 * `discord-interactions`' `verifyKey` takes the key as a hex string (or a WebCrypto key),
 * decoding any text leniently (a bad key then fails every delivery silently); here a key
 * that is not 64 hex characters is refused at start-up.
 */
function publicKeyOf(secret: string): KeyObject {
  if (!PUBLIC_KEY.test(secret)) {
    throw new WebhookConfigurationError(
      providerCannot(
        'discord',
        'takes the application public key as 64 hex characters, as the Developer Portal shows it',
      ),
    );
  }
  return ed25519PublicKey(Buffer.from(secret, 'hex'));
}
