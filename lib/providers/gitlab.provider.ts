import { hash, randomUUID } from 'node:crypto';
import { binaryDigestEquals } from '../core/crypto.js';
import { WebhookConfigurationError, WebhookVerificationError } from '../core/errors/index.js';
import { providerCannot, secretRequired, tokenMismatch } from '../core/errors/webhook.messages.js';
import { signingKey } from '../core/hmac-signature.js';
import type { IncomingWebhook } from '../core/incoming-webhook.js';
import { lazyVerifiedWebhook, type LazyWebhookFields } from '../core/lazy-verified-webhook.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import type { WebhookProvider } from '../core/webhook-provider.js';

const TOKEN_HEADER = 'x-gitlab-token';
const EVENT_HEADER = 'x-gitlab-event';
/** GitLab 17.4+: the same value on every retry and resend of one delivery. */
const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** One per triggering event, shared by the webhooks that event's handlers trigger in turn. */
const EVENT_UUID_HEADER = 'x-gitlab-event-uuid';
/**
 * Sent, with `webhook-id` and `webhook-timestamp`, by a hook that also has GitLab's
 * (feature-flagged) signing token: a Standard Webhooks signature, which the
 * `standard-webhooks` preset checks. Not read here, but never logged either.
 */
const STANDARD_SIGNATURE_HEADER = 'webhook-signature';
/** How GitLab's WebHookService sends the token: `Gitlab::Utils.remove_line_breaks(hook.token)`, i.e. without `\r?\n`. */
const LINE_BREAKS = /\r?\n/g;
const HAS_LINE_BREAK = /\n/;

interface GitlabKeys {
  /** The tokens as GitLab sends them; the first is the one `sign` writes. */
  readonly tokens: readonly string[];
  /** Their SHA-256 digests: what a received token's digest is compared with. */
  readonly digests: readonly Buffer[];
}

/**
 * GitLab: nothing is signed. `X-Gitlab-Token` carries the hook's secret token in clear, and
 * the delivery is accepted when it equals a configured secret (compared as SHA-256 digests,
 * in constant time whatever the lengths). `X-Gitlab-Event` is the event (`Push Hook`,
 * `Merge Request Hook`, ...). The delivery id is `Idempotency-Key` (GitLab 17.4+, kept
 * across retries); before that, `X-Gitlab-Event-UUID` joined with a digest of the body,
 * because GitLab's documentation says webhooks triggered by earlier webhooks share one
 * event UUID, so the UUID alone could make a later, different event look like a repeat.
 * With neither header, the body's digest. No timestamp, so no replay window: anyone who
 * sees one delivery (and its token) can send more.
 */
export const gitlabProvider: WebhookProvider<GitlabKeys> = {
  name: 'gitlab',
  sensitiveHeaders: [TOKEN_HEADER, STANDARD_SIGNATURE_HEADER],
  senderHeaders: [
    EVENT_HEADER,
    IDEMPOTENCY_KEY_HEADER,
    EVENT_UUID_HEADER,
    'x-gitlab-webhook-uuid',
    'x-gitlab-instance',
  ],
  methods: ['POST'],
  contentType: 'application/json',
  summary: {
    sender: 'GitLab',
    secret: 'secret token',
    signatureHeader: '`X-Gitlab-Token`: the secret token in clear',
    signedContent: 'nothing: the token is compared in constant time (as digests)',
    algorithm: 'none (token)',
    deliveryId: '`Idempotency-Key`, else `X-Gitlab-Event-UUID` with a digest of the body, else the digest',
    event: '`X-Gitlab-Event`',
    timestamp: 'none (GitLab sends no timestamp)',
    handshake: 'none',
    checkedAgainst:
      "GitLab's webhook documentation (secret token, delivery headers; no SDK): its check written literally, both directions",
  },
  examples: [
    {
      event: 'Merge Request Hook',
      payload: {
        object_kind: 'merge_request',
        event_type: 'merge_request',
        user: { id: 1, name: 'Rosário Lima', username: 'rlima' },
        project: { id: 1, name: 'Gitlab Test', path_with_namespace: 'gitlabhq/gitlab-test', default_branch: 'main' },
        object_attributes: {
          iid: 1,
          title: 'Fix the navigation on small screens',
          state: 'opened',
          action: 'open',
          source_branch: 'ms-viewport',
          target_branch: 'main',
          url: 'https://gitlab.example.com/gitlabhq/gitlab-test/-/merge_requests/1',
        },
      },
    },
    {
      event: 'Push Hook',
      payload: {
        object_kind: 'push',
        event_name: 'push',
        ref: 'refs/heads/main',
        before: '95790bf891e76fee5e1747ab589903a6a1f80f22',
        after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
        user_username: 'rlima',
        project: { id: 1, name: 'Gitlab Test', path_with_namespace: 'gitlabhq/gitlab-test' },
        total_commits_count: 1,
      },
    },
  ],

  prepareKeys({ secrets }) {
    if (secrets.length === 0) throw new WebhookConfigurationError(secretRequired('gitlab'));
    const tokens = secrets.map((secret) => secret.replace(LINE_BREAKS, ''));
    if (tokens.includes('')) {
      throw new WebhookConfigurationError(
        providerCannot('gitlab', 'needs a secret token that is more than line breaks'),
      );
    }
    return { tokens, digests: tokens.map(digestOf) };
  },

  credentialWarnings({ secrets, token }) {
    const warnings: string[] = [];
    if (token)
      warnings.push('configured with a token, which the gitlab preset does not read: put the secret token in secret.');
    if (secrets.some((secret) => HAS_LINE_BREAK.test(secret))) {
      warnings.push(
        'configured with a secret token that has line breaks: GitLab sends it without them, as this preset compares it.',
      );
    }
    return warnings;
  },

  verify(delivery, keys) {
    verifyToken(delivery, keys.digests);
    const idempotencyKey = delivery.headers.single(IDEMPOTENCY_KEY_HEADER, 'malformed_signature');
    const eventUuid =
      idempotencyKey === undefined ? delivery.headers.single(EVENT_UUID_HEADER, 'malformed_signature') : undefined;
    const event = delivery.headers.single(EVENT_HEADER, 'malformed_signature');
    if (idempotencyKey !== undefined) return { deliveryId: idempotencyKey, event, timestamp: undefined };
    // The body is hashed only when there is no Idempotency-Key and the id is asked for.
    return lazyVerifiedWebhook(BODY_ID, { delivery, eventUuid, id: undefined }, { event });
  },

  parse: parseWebhookBody,

  sign(input, keys) {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      [TOKEN_HEADER]: signingKey(keys.tokens, 'gitlab'),
      [IDEMPOTENCY_KEY_HEADER]: input.id ?? randomUUID(),
      [EVENT_UUID_HEADER]: randomUUID(),
      // GitLab's WebHookService writes a fresh one per request, whatever its documentation's "for each webhook" suggests.
      'x-gitlab-webhook-uuid': randomUUID(),
    };
    if (input.event !== undefined) headers[EVENT_HEADER] = input.event;
    return { headers, body: input.payload };
  },
};

/** Every configured token is compared, so the time taken tells nothing of which (if any) matched. */
function verifyToken(delivery: IncomingWebhook, digests: readonly Buffer[]): void {
  const received = delivery.headers.single(TOKEN_HEADER, 'invalid_token') ?? '';
  let matched = false;
  for (const form of formsOf(received)) {
    const receivedDigest = hash('sha256', form, 'binary');
    for (const digest of digests) if (binaryDigestEquals(digest, receivedDigest)) matched = true;
  }
  if (received === '' || !matched) {
    throw new WebhookVerificationError('invalid_token', tokenMismatch('X-Gitlab-Token'));
  }
}

/**
 * The bytes the token may have been sent as. Node hands header bytes over one character per
 * byte (latin1), so a token GitLab sent in UTF-8 arrives that way; headers given as decoded
 * text are read as UTF-8. An ASCII token has one form: the string itself (hashed as UTF-8).
 */
function formsOf(token: string): readonly (string | Buffer)[] {
  if (Buffer.byteLength(token, 'utf8') === token.length) return [token];
  const utf8 = Buffer.from(token, 'utf8');
  const latin1 = Buffer.from(token, 'latin1');
  return latin1.toString('latin1') === token ? [latin1, utf8] : [utf8];
}

function digestOf(value: string | Buffer): Buffer {
  return hash('sha256', value, 'buffer');
}

function bodyDeliveryId(eventUuid: string | undefined, body: Buffer): string {
  const digest = digestOf(body).toString('hex').slice(0, 32);
  return eventUuid === undefined ? digest : `${eventUuid}:${digest}`;
}

/** The id of a delivery without an Idempotency-Key: the event UUID with the body's digest, made once, when asked for. */
const BODY_ID: LazyWebhookFields<{ delivery: IncomingWebhook; eventUuid: string | undefined; id: string | undefined }> =
  {
    deliveryId: (state) => (state.id ??= bodyDeliveryId(state.eventUuid, state.delivery.rawBody)),
  };
