// The two senders of the http and queue benchmarks, as the load generator plays them: every request a new
// delivery (distinct id), signed the moment it is sent. Kept free of Nest so the load process loads little.
//   guuru     a 1 KB Guuru chat (GuuruChatDto), hex HMAC-SHA256 of the body in `x-guuru-hmac-sha256`
//   standard  a 1 KB Standard Webhooks event (SmallEventDto): `webhook-id`, `webhook-timestamp` and
//             `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` with the `whsec_` key
import { createHmac } from 'node:crypto';
import { guuruChatBody, paddingText } from './common.js';

export type Sender = 'guuru' | 'standard';

export const GUURU_SECRET = 'guuru-bench-secret-5d1f0b7e';
/** A Standard Webhooks secret: `whsec_` and the base64 of a 32-byte key (fixed, so runs are alike). */
export const STANDARD_SECRET = `whsec_${Buffer.from('bench-standard-webhooks-key-7f3a').toString('base64')}`;
/** The HMAC key a Standard Webhooks secret stands for. */
export const STANDARD_KEY = Buffer.from(STANDARD_SECRET.slice('whsec_'.length), 'base64');

/** The secret each sender signs with. */
export const SECRETS: Readonly<Record<Sender, string>> = { guuru: GUURU_SECRET, standard: STANDARD_SECRET };

const eventPadding = new Map<string, string>();

/**
 * A Standard Webhooks event for {@link SmallEventDto} of exactly `bytes` bytes of compact JSON, made distinct by
 * `tag` and the counter `n` (fixed width, so every body of one tag has the same size). The nested `note` is padded:
 * it is a field of the DTO, so the padding is validated rather than stripped.
 */
export function smallEventBody(tag: string, n: number, bytes: number): string {
  const key = `${tag}:${bytes}`;
  const build = (note: string) =>
    JSON.stringify({
      type: 'invoice.paid',
      id: `evt_${tag}_${String(n).padStart(9, '0')}`,
      data: { invoiceId: `in_${String(n % 100_000).padStart(5, '0')}`, amountCents: 12_900 + (n % 7), note },
    });
  let padding = eventPadding.get(key);
  if (padding === undefined) {
    const base = build('').length;
    if (base > bytes) throw new Error(`A small event needs at least ${base} bytes.`);
    padding = paddingText(bytes - base);
    eventPadding.set(key, padding);
  }
  const body = build(padding);
  if (Buffer.byteLength(body) !== bytes) throw new Error('The event body does not have the size asked for.');
  return body;
}

/** A signed delivery: headers and body. */
export interface SignedDelivery {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The `webhook-signature` value of a Standard Webhooks delivery. */
export function standardSignature(id: string, timestamp: string, body: string, key: Buffer = STANDARD_KEY): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64')}`;
}

/** The `n`-th delivery of a run tagged `tag`, signed now, with `secret`, as the sender signs it. */
export function signedDelivery(sender: Sender, tag: string, n: number, bytes: number, secret: string): SignedDelivery {
  if (sender === 'guuru') {
    const body = guuruChatBody(tag, n, bytes);
    const signature = createHmac('sha256', secret).update(body).digest('hex');
    return { headers: { 'content-type': 'application/json', 'x-guuru-hmac-sha256': signature }, body };
  }
  const body = smallEventBody(tag, n, bytes);
  const id = `msg_${tag}_${String(n).padStart(9, '0')}`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const key = secret === STANDARD_SECRET ? STANDARD_KEY : Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return {
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': standardSignature(id, timestamp, body, key),
    },
    body,
  };
}
