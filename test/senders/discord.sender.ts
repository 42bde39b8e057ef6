import { createPublicKey, verify } from 'node:crypto';
import { verifyKey } from 'discord-interactions';
import { signWebhook } from '../../lib/index.js';
import { discordProvider } from '../../lib/providers/discord.provider.js';
import type { HandshakeCase, SenderFixture, WireDelivery } from './sender-fixture.js';

/** A test application's key pair: the public key as the Developer Portal shows it, the private key as PKCS#8. */
export const DISCORD_PUBLIC_KEY = '7a701c4e00d102e27c41f69cebc511e8bdb52a10cd80c74af206c04da7e239c9';
export const DISCORD_PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEICciD2zcWoLpeEZib+AeP2YDHZQPGiZ36FS2cDg9URQT
-----END PRIVATE KEY-----
`;
const PUBLIC_KEY_OBJECT = createPublicKey(DISCORD_PRIVATE_KEY);
const APPLICATION_ID = '1251316715767504957';
const INTERACTION_ID = '1252005811405094912';

/** A slash command (`/roll sides:20`) in a guild channel, as Discord posts an APPLICATION_COMMAND interaction. */
const COMMAND = JSON.stringify({
  app_permissions: '2248473465835073',
  application_id: APPLICATION_ID,
  authorizing_integration_owners: { '0': '1016040327011745863' },
  channel: { flags: 0, guild_id: '1016040327011745863', id: '1016040327909326890', name: 'general', type: 0 },
  channel_id: '1016040327909326890',
  context: 0,
  data: {
    guild_id: '1016040327011745863',
    id: '1251319823474618399',
    name: 'roll',
    options: [{ name: 'sides', type: 4, value: 20 }],
    type: 1,
  },
  entitlements: [],
  guild_id: '1016040327011745863',
  guild_locale: 'en-US',
  id: INTERACTION_ID,
  locale: 'en-GB',
  member: {
    avatar: null,
    deaf: false,
    flags: 0,
    joined_at: '2022-09-04T10:12:31.119000+00:00',
    mute: false,
    nick: null,
    permissions: '2251799813685247',
    roles: [],
    user: { avatar: null, discriminator: '0', global_name: 'Jo\u00e3o', id: '301066102587408386', username: 'joao' },
  },
  token: 'aW50ZXJhY3Rpb246MTI1MjAwNTgxMTQwNTA5NDkxMjpTTk9wZ1RkM2VhaHJQZ2VKTGpyZ0lBdnlUa3M',
  type: 2,
  version: 1,
});

/** The interaction PING Discord sends when the Interactions Endpoint URL is saved. */
const INTERACTION_PING = JSON.stringify({
  application_id: APPLICATION_ID,
  entitlements: [],
  id: '1252005811405094913',
  token: 'aW50ZXJhY3Rpb246MTI1MjAwNTgxMTQwNTA5NDkxMzpwaW5n',
  type: 1,
  user: { avatar: null, discriminator: '0', global_name: 'Discord', id: '643945264868098049', username: 'discord' },
  version: 1,
});

/** The webhook-event PING Discord sends when the Webhook Events URL is saved. */
const WEBHOOK_PING = JSON.stringify({ version: 1, application_id: APPLICATION_ID, type: 0 });

/** Signed as Discord signs: with the application's private key, over the timestamp then the body. */
export function discordDelivery(body: string, now: Date): WireDelivery {
  const { headers, body: bytes } = signWebhook({
    provider: discordProvider,
    secret: DISCORD_PUBLIC_KEY,
    privateKey: DISCORD_PRIVATE_KEY,
    timestamp: now,
    payload: body,
  });
  return { headers: { ...headers, 'user-agent': 'Discord-Interactions/1.0 (+https://discord.com)' }, body: bytes };
}

const handshakes: HandshakeCase[] = [
  {
    name: 'interaction PING',
    delivery: ({ now }) => discordDelivery(INTERACTION_PING, now),
    expected: { status: 200, contentType: 'application/json', body: '{"type":1}' },
  },
  {
    name: 'webhook-event PING',
    delivery: ({ now }) => discordDelivery(WEBHOOK_PING, now),
    expected: { status: 204 },
  },
];

/**
 * Discord posting a slash command. `discord-interactions` only verifies, so the delivery is
 * written by `signWebhook` with the application's private key and `verifyKey` judges it.
 */
export const discordSender: SenderFixture = {
  provider: 'discord',
  secret: DISCORD_PUBLIC_KEY,
  privateKey: DISCORD_PRIVATE_KEY,
  signedBy: 'signWebhook (discordProvider, ed25519 private key), accepted by discord-interactions verifyKey',
  delivery: ({ now }) => discordDelivery(COMMAND, now),
  // The timestamp is the `now` the delivery is made for (floored to seconds).
  expected: { deliveryId: INTERACTION_ID, event: 'APPLICATION_COMMAND' },
  /** `verifyKey(body, signature, timestamp, publicKeyHex)`: it checks no window. */
  sdkAccepts: ({ delivery }) =>
    verifyKey(
      delivery.body,
      delivery.headers['x-signature-ed25519'] ?? '',
      delivery.headers['x-signature-timestamp'] ?? '',
      DISCORD_PUBLIC_KEY,
    ),
  handshakes,
  /** One ed25519 verification of the timestamp followed by the body. */
  floor({ delivery }) {
    const timestamp = Buffer.from(delivery.headers['x-signature-timestamp'] ?? '', 'utf8');
    const signature = Buffer.from(delivery.headers['x-signature-ed25519'] ?? '', 'hex');
    return verify(null, Buffer.concat([timestamp, delivery.body]), PUBLIC_KEY_OBJECT, signature);
  },
};
