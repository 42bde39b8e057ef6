/**
 * A signature header written as a list of `key=value` entries, such as Stripe's
 * `t=1700000000,v1=5257a8…,v1=…` or Paddle's `ts=1700000000;h1=…`. Keys may repeat
 * (several signatures during a rotation); their order is kept.
 */
export class KeyValueList {
  constructor(
    /** The entries in the order they were written. */
    readonly entries: readonly (readonly [key: string, value: string])[],
  ) {}

  /** The first value of `key`, or `undefined`. */
  first(key: string): string | undefined {
    return this.entries.find(([name]) => name === key)?.[1];
  }

  /** Every value of `key`, in order. */
  all(key: string): string[] {
    return this.entries.filter(([name]) => name === key).map(([, value]) => value);
  }
}

/**
 * Splits `text` into `key=value` entries at `separator` (`,` for Stripe, `;` for Paddle).
 * Whitespace around entries is ignored, entries without `=` or with an empty key are
 * dropped, and a value keeps any further `=` (base64 padding).
 *
 * @example
 * ```ts
 * const entries = parseKeyValueList('t=1700000000,v1=abc,v1=def', ',');
 * entries.first('t'); // '1700000000'
 * entries.all('v1'); // ['abc', 'def']
 * ```
 */
export function parseKeyValueList(text: string, separator: string): KeyValueList {
  const entries: (readonly [string, string])[] = [];
  for (const part of text.split(separator)) {
    const entry = part.trim();
    const equals = entry.indexOf('=');
    if (equals <= 0) continue;
    entries.push([entry.slice(0, equals).trim(), entry.slice(equals + 1).trim()]);
  }
  return new KeyValueList(entries);
}
