import { describe, expect, it } from '@jest/globals';
import { parseCapturedRequest } from '../../lib/cli/captured-request.js';
import { CliUsageError } from '../../lib/cli/cli-usage.error.js';

const BODY = '{"question":"Olá?"}';

function message(lineEnd: string, head: readonly string[], body: string | Buffer = BODY): Buffer {
  return Buffer.concat([Buffer.from(`${head.join(lineEnd)}${lineEnd}${lineEnd}`, 'latin1'), Buffer.from(body)]);
}

const HEAD = [
  'POST /webhooks/guuru?x=1 HTTP/1.1',
  'Host: hooks.example.com',
  'Content-Type: application/json',
  'X-Guuru-Hmac-Sha256: 3f0c',
  `Content-Length: ${Buffer.byteLength(BODY)}`,
];

function usageErrorOf(file: Buffer): CliUsageError {
  try {
    parseCapturedRequest(file);
  } catch (error) {
    if (error instanceof CliUsageError) return error;
    throw error;
  }
  throw new Error('expected a usage error');
}

/** The lines `curl --trace` writes for `bytes`: an offset, 16 bytes in hex, the ASCII column. */
function traceDump(label: string, bytes: Buffer): string {
  const lines = [`=> ${label}, ${bytes.length} bytes (0x${bytes.length.toString(16)})`];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const row = bytes.subarray(offset, offset + 16);
    const hex = [...row].map((byte) => `${byte.toString(16).padStart(2, '0')} `).join('');
    const ascii = [...row].map((byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.')).join('');
    lines.push(`${offset.toString(16).padStart(4, '0')}: ${hex.padEnd(48)}${ascii}`);
  }
  return lines.join('\n');
}

describe('reading a captured request', () => {
  it('reads the request line, headers by lower-case name and the exact body, with CRLF line ends', () => {
    const request = parseCapturedRequest(message('\r\n', HEAD));
    expect(request).toEqual({
      method: 'POST',
      target: '/webhooks/guuru?x=1',
      headers: {
        host: 'hooks.example.com',
        'content-type': 'application/json',
        'x-guuru-hmac-sha256': '3f0c',
        'content-length': String(Buffer.byteLength(BODY)),
      },
      body: Buffer.from(BODY),
      format: 'http',
      chunked: false,
      ignoredBytes: 0,
    });
  });

  it('reads a head saved with bare LF line ends the same, and keeps CRLF inside the body', () => {
    const body = 'a\r\nb\r\n';
    const head = [...HEAD.slice(0, -1), `Content-Length: ${body.length}`];
    const crlf = parseCapturedRequest(message('\r\n', head, body));
    const lf = parseCapturedRequest(message('\n', head, body));
    expect(lf.headers).toEqual(crlf.headers);
    expect(lf.body.toString()).toBe(body);
  });

  it('leaves out bytes after the Content-Length (an editor adds a final newline) and says how many', () => {
    const request = parseCapturedRequest(Buffer.concat([message('\r\n', HEAD), Buffer.from('\n')]));
    expect(request.body.toString()).toBe(BODY);
    expect(request.ignoredBytes).toBe(1);
  });

  it('refuses a body shorter than its Content-Length (a cut capture)', () => {
    const head = [...HEAD.slice(0, -1), 'Content-Length: 999'];
    expect(usageErrorOf(message('\r\n', head)).message).toContain('999');
  });

  it('keeps a body without Content-Length whole, skips blank lines before the request line, unfolds obs-fold', () => {
    const file = message('\r\n', ['', 'POST / HTTP/1.0', 'X-Long: one', '\ttwo'], 'raw');
    const request = parseCapturedRequest(Buffer.concat([Buffer.from('\r\n'), file]));
    expect(request.headers).toEqual({ 'x-long': 'one two' });
    expect(request.body.toString()).toBe('raw');
  });

  it('keeps a repeated header as the list of its values, for the provider to refuse as sent twice', () => {
    const request = parseCapturedRequest(
      message('\r\n', ['POST / HTTP/1.1', 'Stripe-Signature: a', 'stripe-signature: b']),
    );
    expect(request.headers['stripe-signature']).toEqual(['a', 'b']);
  });

  it('reads header bytes one character per byte, as Node does, and the body as bytes', () => {
    const body = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x80]);
    const file = Buffer.concat([
      Buffer.from('POST / HTTP/1.1\r\nX-Name: Jo'),
      Buffer.from('ão', 'utf8'),
      Buffer.from('\r\nContent-Length: 5\r\n\r\n'),
      body,
    ]);
    const request = parseCapturedRequest(file);
    expect(request.headers['x-name']).toBe(Buffer.from('João', 'utf8').toString('latin1'));
    expect(request.body).toEqual(body);
  });

  it('decodes a chunked body, with chunk extensions and trailers, CRLF or LF', () => {
    for (const end of ['\r\n', '\n']) {
      const chunks = `7;ext=1${end}{"a":"b${end}6${end}Olá"}${end}0${end}X-Trailer: t${end}${end}`;
      const head = ['POST /hook HTTP/1.1', 'Transfer-Encoding: chunked'];
      const request = parseCapturedRequest(message(end, head, chunks));
      expect(request.body.toString('utf8')).toBe('{"a":"bOlá"}');
      expect(request.chunked).toBe(true);
    }
  });

  it('refuses malformed chunks', () => {
    const head = ['POST /hook HTTP/1.1', 'Transfer-Encoding: gzip, chunked'];
    expect(usageErrorOf(message('\r\n', head, 'zz\r\nabc\r\n0\r\n\r\n'))).toBeInstanceOf(CliUsageError);
    expect(usageErrorOf(message('\r\n', head, 'ff\r\nshort\r\n'))).toBeInstanceOf(CliUsageError);
  });

  it('keeps an absolute-form target (a proxy capture) as sent', () => {
    const request = parseCapturedRequest(message('\r\n', ['POST https://hooks.example.com/twilio?a=1 HTTP/1.1'], ''));
    expect(request.target).toBe('https://hooks.example.com/twilio?a=1');
  });

  it('refuses a response, a file without a request line or a blank line, and names a bad header line by number only', () => {
    expect(usageErrorOf(message('\r\n', ['HTTP/1.1 200 OK'])).message).toContain('response');
    expect(usageErrorOf(message('\r\n', ['hello'])).message).toContain('request line');
    expect(usageErrorOf(Buffer.from('POST / HTTP/1.1\r\nHost: x\r\n')).message).toContain('blank line');
    const bad = usageErrorOf(message('\r\n', ['POST / HTTP/1.1', 'Host: x', 'token s3cr3t-value']));
    expect(bad.message).toBe('Line 3 of the request file is not a "name: value" header.');
  });

  it('takes the bytes curl --trace sent (headers, then data) and nothing it received', () => {
    const head = Buffer.from(`POST /webhooks/guuru HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nContent-Length: 5\r\n\r\n`);
    const trace = [
      '== Info:   Trying 127.0.0.1:3000...',
      '== Info: Connected to 127.0.0.1 (127.0.0.1) port 3000',
      traceDump('Send header', head),
      traceDump('Send data', Buffer.from([0x7b, 0x0d, 0x0a, 0xff, 0x7d])),
      '== Info: upload completely sent off: 5 bytes',
      traceDump('Recv header', Buffer.from('HTTP/1.1 200 OK\r\n')).replace('=>', '<='),
      '',
    ].join('\n');
    const request = parseCapturedRequest(Buffer.from(trace));
    expect(request.format).toBe('curl-trace');
    expect(request.headers.host).toBe('127.0.0.1:3000');
    expect(request.body).toEqual(Buffer.from([0x7b, 0x0d, 0x0a, 0xff, 0x7d]));
  });

  it('reads a --trace-time dump, and refuses a --trace-ascii one (it shows bytes as dots)', () => {
    const head = Buffer.from('POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n');
    const timed = traceDump('Send header', head)
      .split('\n')
      .map((line, index) => (index === 0 ? `12:00:00.123456 ${line}` : line))
      .join('\n');
    expect(parseCapturedRequest(Buffer.from(timed)).method).toBe('POST');
    const ascii = '=> Send header, 38 bytes (0x26)\n0000: POST / HTTP/1.1\n0011: Content-Length: 0\n';
    expect(usageErrorOf(Buffer.from(ascii)).message).toContain('--trace-ascii');
  });
});
