import { WebhookVerificationError, type WebhookVerificationReason } from './errors/index.js';
import { headerMissing, headerRepeated } from './errors/webhook.messages.js';

/** Request headers as Node gives them (any case accepted; arrays for repeated headers). */
export type WebhookHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

type HeaderValue = string | readonly string[] | undefined;

/**
 * Case-insensitive, read-only access to a delivery's headers. Node lower-cases names
 * already, so its headers are read directly; headers handed in by other code in
 * other cases are indexed once, merging a name given in two cases into a repeat.
 */
export class HeaderReader {
  private lowerCased?: Map<string, HeaderValue> | null;

  constructor(
    /** The headers as given. */
    readonly raw: WebhookHeaders,
  ) {}

  /** The raw value of a header, `undefined` when absent. `name` must be lower-case. */
  get(name: string): HeaderValue {
    const index = this.lowerCased === undefined ? this.lowerCaseIndex() : this.lowerCased;
    if (index !== null) return index.get(name);
    return Object.prototype.hasOwnProperty.call(this.raw, name) ? this.raw[name] : undefined;
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
      throw new WebhookVerificationError(duplicateReason, headerRepeated(name));
    }
    return value === '' ? undefined : value;
  }

  /** Like {@link single}, but absent or empty is a rejection with `missingReason`. */
  required(name: string, missingReason: WebhookVerificationReason, duplicateReason: WebhookVerificationReason): string {
    const value = this.single(name, duplicateReason);
    if (value === undefined) {
      throw new WebhookVerificationError(missingReason, headerMissing(name));
    }
    return value;
  }

  /** `null` when every name is lower-case already (always, for Node's own headers). */
  private lowerCaseIndex(): Map<string, HeaderValue> | null {
    if (allLowerCase(this.raw)) {
      this.lowerCased = null;
      return null;
    }
    const index = new Map<string, HeaderValue>();
    for (const [name, value] of Object.entries(this.raw)) {
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

/**
 * Whether no name has an upper-case letter. Runs once per delivery over every header, so it
 * allocates nothing: `for…in` (inherited names too, which can only send a delivery to the
 * index, which reads own names) and `toLowerCase`, which returns a lower-case name itself.
 */
function allLowerCase(headers: WebhookHeaders): boolean {
  for (const name in headers) if (name !== name.toLowerCase()) return false;
  return true;
}

function asArray(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? [value] : value;
}
