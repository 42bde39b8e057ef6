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
    for (const [name, value] of this.entries) if (name === key) return value;
    return undefined;
  }

  /** Every value of `key`, in order. */
  all(key: string): string[] {
    const values: string[] = [];
    for (const [name, value] of this.entries) if (name === key) values.push(value);
    return values;
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
  if (separator === '') {
    // Every character its own entry, as `split('')` would have it: none has a key and a value.
    return new KeyValueList(entries);
  }
  // Entry by entry with indexOf: no list of the parts, no trimmed copy of each (this runs per delivery).
  for (let start = 0; start <= text.length;) {
    let end = text.indexOf(separator, start);
    if (end === -1) end = text.length;
    const equals = text.indexOf('=', start);
    if (equals !== -1 && equals < end) {
      const key = text.slice(start, equals).trim();
      if (key !== '') entries.push([key, text.slice(equals + 1, end).trim()]);
    }
    start = end + separator.length;
  }
  return new KeyValueList(entries);
}
