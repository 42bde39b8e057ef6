import type { CliIo } from './cli-io.js';
import { cliMessages } from './cli.messages.js';

/**
 * Everything the CLI prints goes through here, and every occurrence of a secret or token it
 * was given is replaced first: a header that carries the secret in clear (a GitLab token), a
 * server that echoes the request, an error that quotes an argument. Values are redacted
 * before JSON encoding too, where escaping could otherwise hide a secret from the text pass.
 */
export class CliOutput {
  /** Longest first, so a secret that contains another is replaced whole. */
  private readonly secrets: string[] = [];

  constructor(
    private readonly io: CliIo,
    /** Whether the command was asked for `--json`. */
    readonly json: boolean,
  ) {}

  /** Adds values that must never be printed. */
  hide(...values: readonly (string | undefined)[]): void {
    for (const value of values) if (value) this.secrets.push(value);
    this.secrets.sort((a, b) => b.length - a.length);
  }

  /** Text on standard output (a newline is added). */
  line(text: string): void {
    this.io.stdout(`${this.redact(text)}\n`);
  }

  /** Bytes on standard output, as they are but for secrets. */
  bytes(bytes: Buffer): void {
    this.io.stdout(this.redactBytes(bytes));
  }

  /** Text on standard error (a newline is added). */
  error(text: string): void {
    this.io.stderr(`${this.redact(text)}\n`);
  }

  /** One JSON document on standard output. */
  object(value: unknown): void {
    this.io.stdout(`${this.redact(JSON.stringify(this.redactValue(value), null, 2))}\n`);
  }

  /** `text` with every secret replaced. */
  redact(text: string): string {
    let result = text;
    for (const secret of this.secrets) result = result.split(secret).join(cliMessages.redacted());
    return result;
  }

  private redactValue(value: unknown): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (Array.isArray(value)) return value.map((item) => this.redactValue(item));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.redactValue(item)]));
    }
    return value;
  }

  private redactBytes(bytes: Buffer): Buffer {
    let result = bytes;
    const replacement = Buffer.from(cliMessages.redacted(), 'utf8');
    for (const secret of this.secrets) {
      // Node hands header bytes over as latin1 text: a non-ASCII secret may be in either form.
      const utf8 = Buffer.from(secret, 'utf8');
      const latin1 = Buffer.from(secret, 'latin1');
      result = replaceAll(result, utf8, replacement);
      if (!latin1.equals(utf8)) result = replaceAll(result, latin1, replacement);
    }
    return result;
  }
}

function replaceAll(haystack: Buffer, needle: Buffer, replacement: Buffer): Buffer {
  if (needle.length === 0) return haystack;
  const parts: Buffer[] = [];
  let from = 0;
  for (let at = haystack.indexOf(needle, from); at !== -1; at = haystack.indexOf(needle, from)) {
    parts.push(haystack.subarray(from, at), replacement);
    from = at + needle.length;
  }
  if (from === 0) return haystack;
  parts.push(haystack.subarray(from));
  return Buffer.concat(parts);
}
