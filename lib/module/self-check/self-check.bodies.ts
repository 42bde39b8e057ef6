import { buildMultipart } from '../../core/multipart.js';

/** A body kind the self-check sends, with the content type it is sent as. */
export interface SelfCheckBody {
  readonly kind: 'json' | 'urlencoded' | 'multipart' | 'text';
  readonly contentType: string;
  readonly body: Buffer;
}

/** Each self-check body is this size (or the module's limit, if smaller). */
export const SELF_CHECK_BODY_BYTES = 4096;

/**
 * JSON no serialiser writes: spaces around colons and commas, keys out of order, a
 * trailing zero, an exponent and an escaped "é". Re-serialising it changes its bytes.
 */
function jsonBody(size: number): Buffer {
  const head = '{ "zeta" : 1 ,\n  "alpha":"caf\\u00e9",  "amount": 2.50, "big": 1e3, "padding" : "';
  const tail = '" }\n';
  return Buffer.from(head + 'x'.repeat(Math.max(0, size - head.length - tail.length)) + tail, 'utf8');
}

/** A form whose encoding has choices (`+` for spaces, upper-case escapes, a repeated key) a re-encoder would make differently. */
function urlencodedBody(size: number): Buffer {
  const head = 'zeta=1&alpha=caf%C3%A9+au+lait&list=a&list=b&padding=';
  return Buffer.from(head + 'x'.repeat(Math.max(0, size - head.length)), 'latin1');
}

function textBody(size: number): Buffer {
  const head = 'Self-check: these exact bytes, CRLF and all.\r\n  Trailing spaces stay.  \r\n';
  return Buffer.from(head + 'x'.repeat(Math.max(0, size - head.length)), 'utf8');
}

function multipartBody(size: number): { body: Buffer; contentType: string } {
  const fields = (padding: number) => [
    { name: 'payload', value: '{ "zeta" : 1, "alpha":"caf\\u00e9" }', contentType: 'application/json' },
    {
      name: 'file',
      filename: 'self-check.bin',
      contentType: 'application/octet-stream',
      value: Buffer.alloc(padding, 0xa5),
    },
  ];
  const overhead = buildMultipart(fields(0)).body.length;
  return buildMultipart(fields(Math.max(0, size - overhead)));
}

/** The self-check's bodies for the kinds asked for, each `size` bytes. */
export function selfCheckBodies(kinds: ReadonlySet<SelfCheckBody['kind']>, size: number): SelfCheckBody[] {
  const bodies: SelfCheckBody[] = [];
  if (kinds.has('json')) bodies.push({ kind: 'json', contentType: 'application/json', body: jsonBody(size) });
  if (kinds.has('urlencoded')) {
    bodies.push({ kind: 'urlencoded', contentType: 'application/x-www-form-urlencoded', body: urlencodedBody(size) });
  }
  if (kinds.has('multipart')) bodies.push({ kind: 'multipart', ...multipartBody(size) });
  if (kinds.has('text')) bodies.push({ kind: 'text', contentType: 'text/plain; charset=utf-8', body: textBody(size) });
  return bodies;
}

/** The body kind of a content type, or `undefined` for kinds the self-check does not send. */
export function bodyKindOf(contentType: string | undefined): SelfCheckBody['kind'] | undefined {
  const mediaType = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (mediaType === 'application/json' || /^application\/[\w.-]+\+json$/.test(mediaType)) return 'json';
  if (mediaType === 'application/x-www-form-urlencoded') return 'urlencoded';
  if (mediaType === 'multipart/form-data') return 'multipart';
  if (mediaType.startsWith('text/')) return 'text';
  return undefined;
}
