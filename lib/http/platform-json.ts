/**
 * The JSON the platform's own parser already made from the very bytes the module verifies,
 * so a delivery is parsed once, not twice (about as much CPU as its HMAC, for 1 KB). Only
 * where the result is exactly `JSON.parse` of those bytes as UTF-8: `application/json` with
 * no charset or UTF-8, a non-empty body without a byte-order mark (the parsers turn an empty
 * body into `{}` and drop a BOM, which `JSON.parse` of the bytes would not).
 */
export function platformJson(body: unknown, rawBody: unknown, contentType: string | string[] | undefined): unknown {
  if (typeof body !== 'object' || body === null || !Buffer.isBuffer(rawBody) || rawBody.length === 0) return undefined;
  if (rawBody[0] === 0xef && rawBody[1] === 0xbb && rawBody[2] === 0xbf) return undefined;
  if (typeof contentType !== 'string') return undefined;
  const [mediaType, ...parameters] = contentType.split(';');
  if (mediaType!.trim().toLowerCase() !== 'application/json') return undefined;
  for (const parameter of parameters) {
    const [name, value] = parameter.split('=');
    if (name?.trim().toLowerCase() !== 'charset') continue;
    const charset = value?.trim().replace(/^"|"$/g, '').toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') return undefined;
  }
  return body;
}
