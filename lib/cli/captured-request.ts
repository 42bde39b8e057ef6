import { CliUsageError } from './cli-usage.error.js';
import { cliMessages } from './cli.messages.js';

/** An HTTP request read back from a file: what a server would have handed the library. */
export interface CapturedRequest {
  readonly method: string;
  /** The request target as sent: a path (`/webhooks/github?x=1`) or, through a proxy, a full URL. */
  readonly target: string;
  /** Lower-case names; a header sent more than once as the list of its values, as sent. */
  readonly headers: Record<string, string | string[]>;
  /** The body as the server reads it: a chunked body decoded. */
  readonly body: Buffer;
  /** `http`: the raw message; `curl-trace`: what `curl --trace` recorded as sent. */
  readonly format: 'http' | 'curl-trace';
  /** Whether the body was sent chunked (and so decoded here). */
  readonly chunked: boolean;
  /** Bytes after the `Content-Length` the request declares (an editor's final newline), left out. */
  readonly ignoredBytes: number;
}

const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/(\d(?:\.\d)?)$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/s;
const CHUNK_SIZE = /^([0-9a-fA-F]+)[ \t]*(?:;.*)?$/s;
/** A line of `curl --trace`'s dump: an offset, then up to 16 bytes in hex (the ASCII column follows). */
const TRACE_HEX_LINE = /^[0-9a-f]{4,}: ((?:[0-9a-f]{2} ){1,16})/;
const TRACE_SECTION = /^(?:[\d:.]+ )?(=>|<=|==) (.*?)(?:, \d+ bytes \(0x[0-9a-f]+\))?$/;

/**
 * Reads a captured request: the raw HTTP/1.x message (request line, headers, a blank line,
 * the body; CRLF or bare LF line ends in the head) as a proxy or `nc -l` saves it, or the
 * dump `curl --trace <file>` writes, from which the bytes curl sent are taken.
 * @throws CliUsageError for a file that is neither.
 */
export function parseCapturedRequest(file: Buffer): CapturedRequest {
  const trace = isCurlTrace(file);
  const message = trace ? sentBytesOfTrace(file) : file;
  return { ...parseHttpMessage(message), format: trace ? 'curl-trace' : 'http' };
}

function parseHttpMessage(message: Buffer): Omit<CapturedRequest, 'format'> {
  const start = leadingLineEnds(message);
  const head = headEnd(message, start);
  if (!head) throw new CliUsageError(cliMessages.requestNoBlankLine(), 'verify');
  // Header bytes are read one character per byte, as Node's HTTP parser hands them over.
  const lines = unfold(message.toString('latin1', start, head.end).split(/\r?\n/));
  const { method, target } = requestLine(lines[0] ?? '');
  const headers = headerFields(lines.slice(1));
  const rest = message.subarray(head.end + head.separator);
  return { method, target, headers, ...bodyOf(rest, headers) };
}

/** A server ignores empty lines before the request line (RFC 9112, 2.2). */
function leadingLineEnds(message: Buffer): number {
  let at = 0;
  while (message[at] === 0x0d || message[at] === 0x0a) at += 1;
  return at;
}

/** Where the head ends: the first blank line, CRLF or LF. */
function headEnd(message: Buffer, from: number): { end: number; separator: number } | undefined {
  const candidates = [
    { end: message.indexOf('\r\n\r\n', from, 'latin1'), separator: 4 },
    { end: message.indexOf('\n\n', from, 'latin1'), separator: 2 },
    { end: message.indexOf('\n\r\n', from, 'latin1'), separator: 3 },
  ].filter((candidate) => candidate.end !== -1);
  candidates.sort((a, b) => a.end - b.end);
  return candidates[0];
}

/** Obsolete line folding: a line starting with a space or tab continues the previous one. */
function unfold(lines: string[]): string[] {
  const unfolded: string[] = [];
  for (const line of lines) {
    const last = unfolded.length - 1;
    if (last > 0 && /^[ \t]/.test(line)) unfolded[last] = `${unfolded[last]} ${line.trim()}`;
    else unfolded.push(line);
  }
  return unfolded;
}

function requestLine(line: string): { method: string; target: string } {
  if (line.startsWith('HTTP/')) throw new CliUsageError(cliMessages.requestIsResponse(), 'verify');
  const match = REQUEST_LINE.exec(line);
  if (!match) throw new CliUsageError(cliMessages.requestLineInvalid(), 'verify');
  return { method: match[1]!, target: match[2]! };
}

/** Header fields by lower-case name. A malformed line is named by its number, never quoted (it may hold a secret). */
function headerFields(lines: readonly string[]): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  lines.forEach((line, index) => {
    const match = HEADER_LINE.exec(line);
    if (!match) throw new CliUsageError(cliMessages.headerLineInvalid(index + 2), 'verify');
    const name = match[1]!.toLowerCase();
    const value = match[2]!;
    const seen = headers[name];
    headers[name] = seen === undefined ? value : [...(typeof seen === 'string' ? [seen] : seen), value];
  });
  return headers;
}

function bodyOf(
  rest: Buffer,
  headers: Record<string, string | string[]>,
): Pick<CapturedRequest, 'body' | 'chunked' | 'ignoredBytes'> {
  if (isChunked(headers)) return { body: dechunk(rest), chunked: true, ignoredBytes: 0 };
  const declared = headers['content-length'];
  if (declared === undefined) return { body: rest, chunked: false, ignoredBytes: 0 };
  if (typeof declared !== 'string' || !/^\d+$/.test(declared)) {
    throw new CliUsageError(cliMessages.contentLengthInvalid(), 'verify');
  }
  const length = Number(declared);
  if (rest.length < length) throw new CliUsageError(cliMessages.bodyShorter(rest.length, length), 'verify');
  return { body: rest.subarray(0, length), chunked: false, ignoredBytes: rest.length - length };
}

function isChunked(headers: Record<string, string | string[]>): boolean {
  const encoding = headers['transfer-encoding'];
  const last = [encoding ?? []].flat().join(',').split(',').pop();
  return last?.trim().toLowerCase() === 'chunked';
}

/** A chunked body's data: `<hex size>[;ext]` CRLF, the bytes, CRLF, ... a 0 chunk, trailers. LF alone is taken too. */
function dechunk(rest: Buffer): Buffer {
  const chunks: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = rest.indexOf('\n', at, 'latin1');
    if (lineEnd === -1) throw new CliUsageError(cliMessages.chunkedInvalid(), 'verify');
    const size = CHUNK_SIZE.exec(rest.toString('latin1', at, lineEnd).replace(/\r$/, ''));
    if (!size) throw new CliUsageError(cliMessages.chunkedInvalid(), 'verify');
    const length = parseInt(size[1]!, 16);
    if (length === 0) return Buffer.concat(chunks);
    const dataStart = lineEnd + 1;
    const dataEnd = dataStart + length;
    if (dataEnd > rest.length) throw new CliUsageError(cliMessages.chunkedInvalid(), 'verify');
    chunks.push(rest.subarray(dataStart, dataEnd));
    at = dataEnd + (rest[dataEnd] === 0x0d ? 2 : 1);
  }
}

/** A `curl --trace` dump starts with its `== Info:` or `=> Send` lines (timestamps first with `--trace-time`). */
function isCurlTrace(file: Buffer): boolean {
  const first = file.toString('latin1', 0, Math.min(file.length, 256)).split('\n', 1)[0] ?? '';
  return TRACE_SECTION.test(first.replace(/\r$/, ''));
}

/**
 * The bytes of the first request in the dump: its `=> Send header` and `=> Send data` sections,
 * up to the first thing received. `--trace-ascii` dumps lose bytes (shown as dots), so they are refused.
 */
function sentBytesOfTrace(file: Buffer): Buffer {
  const parts: Buffer[] = [];
  let sending = false;
  for (const line of file.toString('latin1').split(/\r?\n/)) {
    const section = TRACE_SECTION.exec(line);
    if (section) {
      if (section[1] === '<=' && parts.length > 0) break;
      sending = section[1] === '=>' && /^Send (header|data)$/.test(section[2]!);
      continue;
    }
    if (!sending || line === '') continue;
    const hex = TRACE_HEX_LINE.exec(line);
    if (!hex) throw new CliUsageError(cliMessages.traceNotHex(), 'verify');
    parts.push(Buffer.from(hex[1]!.replace(/ /g, ''), 'hex'));
  }
  if (parts.length === 0) throw new CliUsageError(cliMessages.traceEmpty(), 'verify');
  return Buffer.concat(parts);
}
