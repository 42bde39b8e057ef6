import type { IncomingWebhook } from './incoming-webhook.js';
import type { WebhookAttachment } from './webhook-attachment.js';
import { parseMultipart } from './multipart.js';
import { WebhookPayloadError } from './errors/index.js';
import { bodyNotJson } from './errors/webhook.messages.js';

/** A verified delivery's body, turned into what handlers receive. */
export interface ParsedWebhookBody {
  /** The payload: parsed JSON, form fields as an object, text, or `undefined` for an empty body. */
  readonly payload: unknown;
  /** Parts of a multipart body that are not the payload. */
  readonly attachments?: readonly WebhookAttachment[];
}

/** The media type of a content-type header, lower-cased, without parameters. */
export function mediaTypeOf(delivery: IncomingWebhook): string {
  const header = delivery.headers.get('content-type');
  const value = typeof header === 'string' ? header : (header?.[0] ?? '');
  return value.split(';', 1)[0]!.trim().toLowerCase();
}

/** Whether a media type is JSON (`application/json`, `application/*+json`). */
export function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || (mediaType.startsWith('application/') && mediaType.endsWith('+json'));
}

/**
 * The body by its content type: JSON, urlencoded form, multipart (fields become the
 * payload, files the attachments), text, or the bytes themselves.
 */
export async function parseWebhookBody(delivery: IncomingWebhook): Promise<ParsedWebhookBody> {
  if (delivery.rawBody.length === 0) return { payload: undefined };
  const mediaType = mediaTypeOf(delivery);
  if (isJsonMediaType(mediaType)) return { payload: requireJson(delivery) };
  // No content type at all: JSON when it parses as JSON, the bytes otherwise.
  if (mediaType === '') return { payload: delivery.json() ?? delivery.rawBody };
  if (mediaType === 'application/x-www-form-urlencoded') {
    return { payload: Object.fromEntries(new URLSearchParams(delivery.rawBody.toString('utf8'))) };
  }
  if (mediaType === 'multipart/form-data') {
    const parts = await parseMultipart(delivery.rawBody, String(delivery.headers.get('content-type')));
    const fields = Object.fromEntries(
      parts.filter((part) => part.isField).map((p) => [p.name, p.data.toString('utf8')]),
    );
    return { payload: fields, attachments: parts.filter((part) => !part.isField).map(toAttachment) };
  }
  if (mediaType.startsWith('text/')) return { payload: delivery.rawBody.toString('utf8') };
  return { payload: delivery.rawBody };
}

/** The body as JSON, or a 400-class rejection. */
export function requireJson(delivery: IncomingWebhook): unknown {
  const payload = delivery.json();
  if (payload === undefined) {
    throw new WebhookPayloadError('unparseable_payload', bodyNotJson());
  }
  return payload;
}

/** A multipart part as handlers see it. */
export function toAttachment(part: WebhookAttachment): WebhookAttachment {
  return { name: part.name, filename: part.filename, contentType: part.contentType, data: part.data };
}
