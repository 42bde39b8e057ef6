import { hmac, signatureDigestId } from '../core/crypto.js';
import { WebhookPayloadError, WebhookVerificationError } from '../core/errors/index.js';
import { headerMalformed, multipartPartNotJson } from '../core/errors/webhook.messages.js';
import { prepareSharedSecrets, signingKey, verifyHmacSignature, type HmacScheme } from '../core/hmac-signature.js';
import { fieldOf, textFieldOf, type IncomingWebhook } from '../core/incoming-webhook.js';
import { lazyVerifiedWebhook, type LazyWebhookFields } from '../core/lazy-verified-webhook.js';
import { assertWithinWindow, parseEpochSeconds } from '../core/timestamp.js';
import { mediaTypeOf, parseWebhookBody, type ParsedWebhookBody } from '../core/webhook-body.js';
import type { WebhookProvider } from '../core/webhook-provider.js';
import { WebhookResponse } from '../core/webhook-response.js';

const SIGNATURE_HEADER = 'x-slack-signature';
const TIMESTAMP_HEADER = 'x-slack-request-timestamp';
const PREFIX = 'v0=';
const SCHEME: HmacScheme = { algorithm: 'sha256', encoding: 'hex' };
const FORM = 'application/x-www-form-urlencoded';
const URL_VERIFICATION = 'url_verification';

/** A Slack body as JSON (Events API) or as form fields (slash commands, interactivity). */
interface SlackBody {
  readonly json?: unknown;
  readonly form?: URLSearchParams;
}

/**
 * Slack: `X-Slack-Signature` is `v0=` followed by the hex HMAC-SHA256, under the app's
 * signing secret, of `v0:<X-Slack-Request-Timestamp>:<body>` (the timestamp in seconds, as
 * sent). Deliveries older than 300 s are refused; like `@slack/bolt`'s `verifySlackRequest`,
 * a timestamp ahead of the clock is not.
 *
 * Slack posts JSON (Events API) and forms (slash commands; interactivity, whose `payload`
 * field holds JSON). The delivery id is the JSON `event_id` (kept by Slack's retries), else
 * the signature's digest. The event is the inner `event.type` of an `event_callback`, the
 * `type` of other JSON, a slash command's `command` (e.g. `/deploy`), or the `type` of an
 * interactivity `payload` (e.g. `block_actions`).
 *
 * Handlers receive: JSON as parsed; a slash command's form fields as an object of strings;
 * for interactivity, the parsed `payload` JSON alone (as Bolt gives it: the form has no
 * other field). A `url_verification` is answered by the module with its `challenge` as
 * `text/plain`, the answer Slack's documentation gives first (it also accepts JSON, which
 * Bolt sends). A signed `ssl_check=1` form is answered 200 with no body.
 */
export const slackProvider: WebhookProvider<Buffer[]> = {
  name: 'slack',
  sensitiveHeaders: [SIGNATURE_HEADER],
  senderHeaders: [TIMESTAMP_HEADER, 'x-slack-retry-num', 'x-slack-retry-reason'],
  methods: ['POST'],
  contentType: 'application/json',
  summary: {
    sender: 'Slack',
    secret: 'signing secret',
    signatureHeader: '`X-Slack-Signature: v0=<hex>`',
    signedContent: '`v0:<X-Slack-Request-Timestamp>:<body>`',
    algorithm: 'HMAC-SHA256, hex',
    deliveryId: 'JSON `event_id`, else digest',
    event:
      '`event_callback`: inner `event.type`; other JSON: `type`; slash command: `command`; interactivity: `payload` `type`',
    timestamp: '`X-Slack-Request-Timestamp`, seconds (300 s, only old ones refused, as Bolt)',
    handshake: '`url_verification`: 200 `text/plain` with the `challenge`; a signed `ssl_check`: 200',
    checkedAgainst:
      '`@slack/bolt` `verifySlackRequest`; the worked example of Slack\'s "Verifying requests from Slack"',
  },
  examples: [
    {
      event: 'app_mention',
      payload: {
        token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl',
        team_id: 'T061EG9R6',
        api_app_id: 'A0PNCHHK2',
        event: {
          type: 'app_mention',
          user: 'U061F7AUR',
          text: '<@U0LAN0Z89> is it everything a river should be?',
          ts: '1715000000.000200',
          channel: 'C0LAN2Q65',
          event_ts: '1715000000.000200',
        },
        type: 'event_callback',
        event_id: 'Ev0PV52K25',
        event_time: 1715000000,
      },
    },
    {
      event: 'url_verification',
      // Slack's own example: the module answers with the challenge.
      payload: {
        token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl',
        challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
        type: 'url_verification',
      },
    },
  ],

  prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, 'slack'),

  verify(delivery, keys, policy) {
    const received = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    const timestampText = delivery.headers.required(TIMESTAMP_HEADER, 'missing_timestamp', 'malformed_timestamp');
    // Bolt refuses any version but v0 (it splits at "=" and compares the hex text).
    if (!received.startsWith(PREFIX)) {
      throw new WebhookVerificationError(
        'malformed_signature',
        headerMalformed(SIGNATURE_HEADER, `must start with "${PREFIX}"`),
      );
    }
    const timestamp = parseEpochSeconds(timestampText, TIMESTAMP_HEADER);
    // Bolt refuses only timestamps more than five minutes old.
    assertWithinWindow(timestamp, policy, { pastOnly: true });
    const signature = verifyHmacSignature(received.slice(PREFIX.length), SIGNATURE_HEADER, SCHEME, keys, [
      `v0:${timestampText}:`,
      delivery.rawBody,
    ]);
    // Everything else reads the body, so only when asked: verifying does not parse it.
    return lazyVerifiedWebhook(FROM_BODY, { delivery, signature, body: undefined }, { timestamp });
  },

  parse: parseSlackBody,

  encodePayload(payload) {
    const form = formFieldsOf(payload);
    return Buffer.from(form ? form.toString() : JSON.stringify(payload), 'utf8');
  },

  sign(input, keys) {
    const timestamp = String(Math.floor(input.timestamp.getTime() / 1000));
    const signature = hmac(SCHEME.algorithm, signingKey(keys, 'slack'), `v0:${timestamp}:`, input.payload);
    return {
      headers: {
        'content-type': looksLikeJson(input.payload) ? 'application/json' : FORM,
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: `${PREFIX}${signature.toString('hex')}`,
      },
      body: input.payload,
    };
  },
};

/** Forms by their content type; with none, JSON when the body parses as JSON, else a form. */
function isForm(delivery: IncomingWebhook): boolean {
  const mediaType = mediaTypeOf(delivery);
  if (mediaType === '') return delivery.json() === undefined;
  return mediaType === FORM;
}

function readSlackBody(delivery: IncomingWebhook): SlackBody {
  if (isForm(delivery)) return { form: new URLSearchParams(delivery.rawBody.toString('utf8')) };
  return { json: delivery.json() };
}

function eventOf({ json, form }: SlackBody): string | undefined {
  if (form) return form.get('command') || textFieldOf(interactivityPayload(form), 'type');
  const type = textFieldOf(json, 'type');
  return type === 'event_callback' ? textFieldOf(fieldOf(json, 'event'), 'type') : type;
}

/** The JSON in an interactivity form's `payload` field; `undefined` when absent or not JSON. */
function interactivityPayload(form: URLSearchParams): unknown {
  const payload = form.get('payload');
  if (payload === null) return undefined;
  try {
    return JSON.parse(payload) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The module reads this for every delivery, so the bytes are searched for the handshake's
 * marker before anything is parsed: a large event body costs one search, not a parse.
 */
function handshakeOf(delivery: IncomingWebhook, read: () => SlackBody): WebhookResponse | undefined {
  const { rawBody } = delivery;
  if (rawBody.includes(URL_VERIFICATION)) {
    const { json } = read();
    const challenge = fieldOf(json, 'challenge');
    if (textFieldOf(json, 'type') === URL_VERIFICATION && typeof challenge === 'string') {
      return WebhookResponse.text(challenge);
    }
  }
  // Slack's SSL check of a slash command URL; Bolt answers it 200 (we do only once it verified).
  if (rawBody.includes('ssl_check') && read().form?.get('ssl_check') === '1') return WebhookResponse.empty(200);
  return undefined;
}

/** JSON as parsed; a slash command's fields as an object; interactivity's `payload` JSON, as Bolt gives it. */
async function parseSlackBody(delivery: IncomingWebhook): Promise<ParsedWebhookBody> {
  if (delivery.rawBody.length === 0 || !isForm(delivery)) return parseWebhookBody(delivery);
  const form = new URLSearchParams(delivery.rawBody.toString('utf8'));
  const payload = form.get('payload');
  if (payload === null) return { payload: Object.fromEntries(form) };
  try {
    return { payload: JSON.parse(payload) as unknown };
  } catch {
    throw new WebhookPayloadError('unparseable_payload', multipartPartNotJson('payload'));
  }
}

/**
 * A value Slack would post as a form: an object with a `command` (a slash command) or a
 * `payload` (interactivity, whose object value becomes JSON), as `sign` encodes it.
 */
function formFieldsOf(value: unknown): URLSearchParams | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  if (fieldOf(value, 'command') === undefined && fieldOf(value, 'payload') === undefined) return undefined;
  const form = new URLSearchParams();
  for (const [name, field] of Object.entries(value)) {
    form.append(name, typeof field === 'string' ? field : JSON.stringify(field));
  }
  return form;
}

/** Slack's JSON bodies are objects; anything else it posts is a form. */
function looksLikeJson(body: Buffer): boolean {
  const first = body.toString('utf8', 0, 64).trimStart()[0];
  return first === '{' || first === '[';
}

/** What `verify` keeps for the fields read on first access; `body` is read once, when first needed. */
interface SlackState {
  readonly delivery: IncomingWebhook;
  readonly signature: Buffer;
  body: SlackBody | undefined;
}

function bodyOf(state: SlackState): SlackBody {
  return (state.body ??= readSlackBody(state.delivery));
}

/** The id, event and handshake, from the body, when asked for. */
const FROM_BODY: LazyWebhookFields<SlackState> = {
  deliveryId: (state) => textFieldOf(bodyOf(state).json, 'event_id') ?? signatureDigestId(state.signature),
  event: (state) => eventOf(bodyOf(state)),
  handshake: (state) => handshakeOf(state.delivery, () => bodyOf(state)),
};
