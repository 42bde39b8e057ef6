/** A value that must not be written into the command: it is read from a shell variable instead. */
export interface ShellSecret {
  readonly value: string;
  /** The variable's name, e.g. `WEBHOOK_SECRET`. */
  readonly variable: string;
}

/** What `sign --curl` turns into a command. */
export interface CurlRequest {
  readonly method: string;
  readonly url: string;
  /** Header names and values, in the order they are written. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  /** Values written as `"${VARIABLE}"` wherever they occur in a header or a text body. */
  readonly secrets?: readonly ShellSecret[];
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A POSIX shell word that stands for `text` exactly: single quotes, with each `'` written as `'\''`.
 */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * `text` as one shell word in which each secret is a double-quoted variable expansion
 * instead of its value, e.g. `'x-gitlab-token: '"${GITLAB_TOKEN}"`.
 */
export function shellWord(text: string, secrets: readonly ShellSecret[] = []): string {
  const secret = secrets.find((candidate) => candidate.value !== '' && text.includes(candidate.value));
  if (!secret) return shellQuote(text);
  return text
    .split(secret.value)
    .map((part) => (part === '' ? '' : shellWord(part, secrets)))
    .join(`"\${${secret.variable}}"`);
}

/**
 * A `curl` command that sends exactly `request`: its method, URL, headers in order and the
 * body's bytes. A text body is written inline; any other (control characters, CR, invalid
 * UTF-8) is written as octal escapes for `printf`, piped into `curl --data-binary @-`.
 */
export function curlCommand(request: CurlRequest): string {
  const secrets = request.secrets ?? [];
  const lines = [`curl --silent --show-error --include --request ${request.method} ${shellWord(request.url, secrets)}`];
  for (const [name, value] of request.headers) {
    // curl drops a header given as "name:" with nothing after it; "name;" sends it empty.
    lines.push(`--header ${shellWord(value === '' ? `${name};` : `${name}: ${value}`, secrets)}`);
  }
  if (request.body.length === 0) return lines.join(' \\\n  ');
  const text = literalText(request.body);
  if (text !== undefined) {
    lines.push(`--data-binary ${shellWord(text, secrets)}`);
    return lines.join(' \\\n  ');
  }
  lines.push('--data-binary @-');
  return `printf ${shellQuote(printfEscaped(request.body))} | ${lines.join(' \\\n  ')}`;
}

/** The body as text, when it can be written inline and read back byte for byte. */
function literalText(body: Buffer): string | undefined {
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    return undefined;
  }
  return hasControlCharacters(text) ? undefined : text;
}

/** Control characters other than tab and line feed: a terminal or a copy and paste would not keep them. */
function hasControlCharacters(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a) || code === 0x7f) return true;
  }
  return false;
}

/** A `printf` format that prints `bytes`: printable ASCII as is, everything else (and `%`, `\`, `'`) as `\ooo`. */
export function printfEscaped(bytes: Buffer): string {
  let format = '';
  for (const byte of bytes) {
    const plain = byte >= 0x20 && byte < 0x7f && byte !== 0x25 && byte !== 0x5c && byte !== 0x27;
    format += plain ? String.fromCharCode(byte) : `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return format;
}
