import { WebhookVerificationError, type WebhookVerificationReason } from './webhook-verification.error.js';

/** Request headers as Node gives them (any case accepted; arrays for repeated headers). */
export type WebhookHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

type HeaderValue = string | readonly string[] | undefined;

/**
 * Case-insensitive, read-only access to a delivery's headers. Node lower-cases names
 * already, so the exact lookup almost always hits; the scan only runs for headers
 * handed in by other code in another case.
 */
export class HeaderReader {
  private lowerCased?: Map<string, HeaderValue>;

  constructor(private readonly headers: WebhookHeaders) {}

  /** The raw value of a header, `undefined` when absent. `name` must be lower-case. */
  get(name: string): HeaderValue {
    const exact = this.headers[name];
    if (exact !== undefined) return exact;
    return this.lowerCaseIndex().get(name);
  }

  /**
   * A header the sender sends exactly once. Absent or empty: `undefined`.
   * Repeated: a rejection with `duplicateReason`.
   */
  single(name: string, duplicateReason: WebhookVerificationReason): string | undefined {
    const value = this.get(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      if (value.length === 1 && typeof value[0] === 'string') return value[0] || undefined;
      if (value.length === 0) return undefined;
      throw new WebhookVerificationError(duplicateReason, `The ${name} header was sent more than once.`);
    }
    return value === '' ? undefined : value;
  }

  /** Like {@link single}, but absent or empty is a rejection with `missingReason`. */
  required(name: string, missingReason: WebhookVerificationReason, duplicateReason: WebhookVerificationReason): string {
    const value = this.single(name, duplicateReason);
    if (value === undefined) {
      throw new WebhookVerificationError(missingReason, `The ${name} header is missing.`);
    }
    return value;
  }

  private lowerCaseIndex(): Map<string, HeaderValue> {
    if (this.lowerCased) return this.lowerCased;
    const index = new Map<string, HeaderValue>();
    for (const [name, value] of Object.entries(this.headers)) {
      if (value === undefined) continue;
      const key = name.toLowerCase();
      const seen = index.get(key);
      // The same name in two cases is the same header sent twice.
      index.set(key, seen === undefined ? value : [...asArray(seen), ...asArray(value)]);
    }
    this.lowerCased = index;
    return index;
  }
}

function asArray(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? [value] : value;
}
