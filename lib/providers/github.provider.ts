import { randomUUID } from 'node:crypto';
import { hmac, signatureDigestId } from '../core/crypto.js';
import { WebhookPayloadError, WebhookVerificationError } from '../core/errors/index.js';
import { headerMalformed, multipartPartNotJson } from '../core/errors/webhook.messages.js';
import { prepareSharedSecrets, signingKey, verifyHmacSignature, type HmacScheme } from '../core/hmac-signature.js';
import type { IncomingWebhook } from '../core/incoming-webhook.js';
import { mediaTypeOf, parseWebhookBody, type ParsedWebhookBody } from '../core/webhook-body.js';
import type { WebhookProvider } from '../core/webhook-provider.js';

const SIGNATURE_HEADER = 'x-hub-signature-256';
/** GitHub's legacy HMAC-SHA1 header, sent beside the SHA-256 one: never read, but never logged either. */
const LEGACY_SIGNATURE_HEADER = 'x-hub-signature';
const ID_HEADER = 'x-github-delivery';
const EVENT_HEADER = 'x-github-event';
const PREFIX = 'sha256=';
const SCHEME: HmacScheme = { algorithm: 'sha256', encoding: 'hex' };

/**
 * GitHub: `X-Hub-Signature-256` is `sha256=` followed by the lowercase hex HMAC-SHA256 of
 * the raw body under the webhook secret. Nothing else is signed: `X-GitHub-Delivery` (the
 * delivery id, kept by redeliveries) and `X-GitHub-Event` (the event, `ping` included) are
 * plain headers, and GitHub sends no timestamp, so there is no replay window. The legacy
 * SHA-1 `X-Hub-Signature` is ignored. A hook set to `application/x-www-form-urlencoded`
 * signs the form body; its `payload` field is the JSON handlers receive.
 */
export const githubProvider: WebhookProvider<Buffer[]> = {
  name: 'github',
  sensitiveHeaders: [SIGNATURE_HEADER, LEGACY_SIGNATURE_HEADER],
  senderHeaders: [
    ID_HEADER,
    EVENT_HEADER,
    'x-github-hook-id',
    'x-github-hook-installation-target-id',
    'x-github-hook-installation-target-type',
  ],
  methods: ['POST'],
  contentType: 'application/json',
  summary: {
    sender: 'GitHub',
    secret: 'webhook secret',
    signatureHeader: '`X-Hub-Signature-256: sha256=<hex>`',
    signedContent: 'body',
    algorithm: 'HMAC-SHA256, hex',
    deliveryId: '`X-GitHub-Delivery` (not signed), else digest',
    event: '`X-GitHub-Event` (not signed); `ping` is an ordinary event',
    timestamp: 'none (GitHub sends no timestamp)',
    handshake: 'none',
    checkedAgainst:
      '`@octokit/webhooks-methods` `sign` and `verify`, both directions; the example in GitHub\'s "Validating webhook deliveries"',
  },
  examples: [
    {
      event: 'push',
      payload: {
        ref: 'refs/heads/main',
        before: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
        after: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
        repository: { id: 186853002, name: 'hello-world', full_name: 'octo-org/hello-world', private: false },
        pusher: { name: 'joao-s', email: 'joao@example.com' },
        sender: { login: 'joao-s', id: 21031067, type: 'User' },
        head_commit: { id: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c', message: 'Update the README' },
      },
    },
    {
      event: 'ping',
      payload: {
        zen: 'Design for failure.',
        hook_id: 482931057,
        hook: { type: 'Repository', id: 482931057, name: 'web', active: true, events: ['push'] },
        repository: { id: 186853002, name: 'hello-world', full_name: 'octo-org/hello-world' },
        sender: { login: 'joao-s', id: 21031067, type: 'User' },
      },
    },
  ],

  prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, 'github'),

  verify(delivery, keys) {
    const received = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    // Octokit compares the whole `sha256=<hex>` text, so the prefix is exact (no `SHA256=`).
    if (!received.startsWith(PREFIX)) {
      throw new WebhookVerificationError(
        'malformed_signature',
        headerMalformed(SIGNATURE_HEADER, `must start with "${PREFIX}"`),
      );
    }
    const signature = verifyHmacSignature(received.slice(PREFIX.length), SIGNATURE_HEADER, SCHEME, keys, [
      delivery.rawBody,
    ]);
    return {
      // GitHub always sends it; without one (a proxy dropped it), the signature's digest still tells repeats apart.
      deliveryId: delivery.headers.single(ID_HEADER, 'malformed_signature') ?? signatureDigestId(signature),
      event: delivery.headers.single(EVENT_HEADER, 'malformed_signature'),
      timestamp: undefined,
    };
  },

  parse: parseGithubBody,

  sign(input, keys) {
    const signature = hmac(SCHEME.algorithm, signingKey(keys, 'github'), input.payload).toString('hex');
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: `${PREFIX}${signature}`,
      [ID_HEADER]: input.id ?? randomUUID(),
    };
    if (input.event !== undefined) headers[EVENT_HEADER] = input.event;
    return { headers, body: input.payload };
  },
};

/** JSON as usual; a form delivery's `payload` field is the JSON GitHub would have posted. */
async function parseGithubBody(delivery: IncomingWebhook): Promise<ParsedWebhookBody> {
  if (mediaTypeOf(delivery) !== 'application/x-www-form-urlencoded') return parseWebhookBody(delivery);
  const payload = new URLSearchParams(delivery.rawBody.toString('utf8')).get('payload');
  if (payload === null) return parseWebhookBody(delivery);
  try {
    return { payload: JSON.parse(payload) as unknown };
  } catch {
    throw new WebhookPayloadError('unparseable_payload', multipartPartNotJson('payload'));
  }
}
