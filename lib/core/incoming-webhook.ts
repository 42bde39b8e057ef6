import { HeaderReader, type WebhookHeaders } from './headers.js';

const NOT_PARSED = Symbol('not parsed');

/** What is known of the request beside its headers and body. */
export interface IncomingWebhookRequest {
  /** The upper-case HTTP method, when known. */
  readonly method?: string;
  /**
   * The full URL the sender called (`https://host/path?query`), or a function that works it
   * out on first use: only senders that sign the URL (Twilio, Square, HubSpot) ever ask.
   */
  readonly url?: string | (() => string | undefined);
  /**
   * The body already parsed as JSON by whoever read it (the HTTP platform's parser), when it
   * is exactly `JSON.parse` of `rawBody`: spares a second parse.
   */
  readonly json?: unknown;
}

/**
 * One delivery as a provider sees it: headers, the exact bytes received, and (for senders
 * that sign them) the method and URL. The JSON view of the body is parsed at most once,
 * and only when asked for, so a provider that needs a field from the body and the
 * handler that needs the whole payload share one parse.
 */
export class IncomingWebhook {
  /** Case-insensitive access to the headers. */
  readonly headers: HeaderReader;
  /** The upper-case HTTP method, when known. */
  readonly method: string | undefined;
  private parsed: unknown = NOT_PARSED;
  private urlSource: string | (() => string | undefined) | undefined;

  constructor(
    rawHeaders: WebhookHeaders,
    /** The body exactly as received. */
    readonly rawBody: Buffer,
    request: IncomingWebhookRequest = {},
  ) {
    this.headers = new HeaderReader(rawHeaders);
    this.method = request.method;
    this.urlSource = request.url;
    if (request.json !== undefined) this.parsed = request.json;
  }

  /** The full URL the sender called, when known. */
  get url(): string | undefined {
    if (typeof this.urlSource === 'function') this.urlSource = this.urlSource();
    return this.urlSource;
  }

  /** The body parsed as JSON; `undefined` when it is empty or not JSON. */
  json(): unknown {
    if (this.parsed === NOT_PARSED) this.parsed = parseJsonOrUndefined(this.rawBody);
    return this.parsed;
  }
}

function parseJsonOrUndefined(bytes: Buffer): unknown {
  if (bytes.length === 0) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** A plain object's own property, or `undefined` when `value` is no plain object. */
export function fieldOf(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

/** A field that names something (an id, an event type): a non-empty string, or a number as text. */
export function textFieldOf(value: unknown, key: string): string | undefined {
  const field = fieldOf(value, key);
  if (typeof field === 'string') return field === '' ? undefined : field;
  return typeof field === 'number' && Number.isFinite(field) ? String(field) : undefined;
}
