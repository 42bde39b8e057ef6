import { parseSignArgs, type SignArgs } from './cli-args.js';
import { cliProvider, signedDelivery, type CliDelivery } from './cli-delivery.js';
import type { CliIo } from './cli-io.js';
import type { CliOutput } from './cli-output.js';
import { cliMessages } from './cli.messages.js';
import { curlCommand, type ShellSecret } from './curl.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });
/** What the curl command calls the secret and token when they were not read from a variable. */
const SECRET_VARIABLE = 'WEBHOOK_SECRET';
const TOKEN_VARIABLE = 'WEBHOOK_TOKEN';

/**
 * `sign <provider> ...`: prints a signed delivery without sending it: as the HTTP request
 * that would go over the wire, as a `curl` command (`--curl`), or as JSON (`--json`).
 * @returns 0.
 */
export async function signCommand(argv: readonly string[], io: CliIo, output: CliOutput): Promise<number> {
  const args = parseSignArgs(argv, io.env);
  const provider = cliProvider(args.provider, 'sign');
  const delivery = await signedDelivery(provider, args, io, 'sign');
  const secrets = shellSecrets(args);
  const curl =
    args.url === undefined || !args.curl
      ? undefined
      : curlCommand({ method: 'POST', url: args.url, headers: delivery.headers, body: delivery.body, secrets });
  if (output.json) {
    output.object({ ok: true, command: 'sign', provider: provider.name, ...describe(delivery, args.url), curl });
    return 0;
  }
  if (curl !== undefined) {
    output.line(curl);
    for (const secret of secrets) {
      if (curl.includes(`\${${secret.variable}}`)) output.error(cliMessages.curlReadsVariable(secret.variable));
    }
    return 0;
  }
  output.bytes(httpMessage('POST', args.url, delivery));
  // Only for a person reading it: a file or a pipe gets the exact bytes.
  if (io.stdoutIsTerminal) output.line('');
  for (const [name] of headersCarrying(delivery, secrets)) output.error(cliMessages.headerCarriesSecret(name));
  return 0;
}

/** The secret and token as shell variables: the one `--secret-env` named, else a fixed name. */
function shellSecrets(args: SignArgs): ShellSecret[] {
  const secrets: ShellSecret[] = [];
  if (args.secret) secrets.push({ value: args.secret, variable: args.secretVariable ?? SECRET_VARIABLE });
  if (args.token) secrets.push({ value: args.token, variable: args.tokenVariable ?? TOKEN_VARIABLE });
  return secrets;
}

/** Headers whose value has the secret in it (a sender that sends its token in clear). */
function headersCarrying(delivery: CliDelivery, secrets: readonly ShellSecret[]): (readonly [string, string])[] {
  return delivery.headers.filter(([, value]) => secrets.some((secret) => value.includes(secret.value)));
}

/** The delivery for `--json`: the body as text when it is UTF-8, else base64. */
function describe(delivery: CliDelivery, url: string | undefined) {
  let body: string;
  let bodyEncoding: 'utf8' | 'base64' = 'utf8';
  try {
    body = UTF8.decode(delivery.body);
  } catch {
    body = delivery.body.toString('base64');
    bodyEncoding = 'base64';
  }
  return {
    event: delivery.event ?? null,
    payload: delivery.payloadSource,
    method: 'POST',
    url: url ?? null,
    headers: Object.fromEntries(delivery.headers),
    body,
    bodyEncoding,
  };
}

/**
 * The request as it would go over the wire (HTTP/1.1, CRLF): the request line, `host`, the
 * headers, `content-length`, a blank line, the body's exact bytes. `verify --request` reads it back.
 */
export function httpMessage(method: string, url: string | undefined, delivery: CliDelivery): Buffer {
  const target = url === undefined ? undefined : new URL(url);
  const lines = [`${method} ${target ? `${target.pathname}${target.search}` : '/'} HTTP/1.1`];
  if (target) lines.push(`host: ${target.host}`);
  for (const [name, value] of delivery.headers) lines.push(`${name}: ${value}`);
  if (!delivery.headers.some(([name]) => name === 'content-length')) {
    lines.push(`content-length: ${delivery.body.length}`);
  }
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), delivery.body]);
}
