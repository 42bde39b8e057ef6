import { HeaderReader, type WebhookHeaders } from './headers.js';

const NOT_PARSED = Symbol('not parsed');

/**
 * One delivery as a provider sees it: headers and the exact bytes received.
 * The JSON view of the body is parsed at most once, and only when asked for,
 * so a provider that needs a field from the body and the handler that needs the
 * whole payload share one parse.
 */
export class IncomingWebhook {
  readonly headers: HeaderReader;
  private parsed: unknown = NOT_PARSED;

  constructor(
    rawHeaders: WebhookHeaders,
    readonly rawBody: Buffer,
  ) {
    this.headers = new HeaderReader(rawHeaders);
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
