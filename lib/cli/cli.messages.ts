/**
 * Every text the command line prints, in one place: errors, results and each command's
 * `--help`. No text here ever takes a secret, a token or a signature value: the CLI's own
 * output is also passed through `CliOutput`, which replaces the secrets it was given.
 */

/** The commands, as typed. */
export type CliCommand = 'send' | 'sign' | 'verify' | 'providers';

/** What the help texts list that only the registry knows. */
export interface HelpContext {
  /** Every provider's name. */
  readonly providers: readonly string[];
  /** The providers whose sender signs the URL it calls. */
  readonly signingUrl: readonly string[];
}

const PROGRAM = 'nestjs-signed-webhooks';

/** Wraps a comma-separated list to lines of at most `width` characters, indented. */
function wrapList(items: readonly string[], indent: string, width = 100): string {
  const lines: string[] = [];
  let line = indent;
  for (const [index, item] of items.entries()) {
    const text = index < items.length - 1 ? `${item},` : item;
    if (line.length + text.length + 1 > width && line.trim() !== '') {
      lines.push(line.trimEnd());
      line = indent;
    }
    line += `${text} `;
  }
  lines.push(line.trimEnd());
  return lines.join('\n');
}

export const cliMessages = {
  redacted: (): string => '[redacted]',
  none: (): string => '(none)',

  // ---- Usage errors (exit 2) ----
  commandRequired: (): string => `Name a command: send, sign, verify or providers. Run "${PROGRAM} --help".`,
  unknownCommand: (): string => `Unknown command. The commands are send, sign, verify and providers.`,
  usageError: (message: string, command: string | undefined): string =>
    `error: ${message}\n` +
    (command ? `Run "${PROGRAM} ${command} --help" for its options.` : `Run "${PROGRAM} --help".`),
  badOption: (detail: string): string => detail,
  providerRequired: (command: string): string =>
    `${command} takes a provider's name: ${PROGRAM} ${command} <provider>.`,
  tooManyArguments: (command: string, count: number): string =>
    `${command} takes one provider's name, and ${count} arguments were given (options start with --).`,
  noArgumentsTaken: (command: string): string => `${command} takes no arguments.`,
  unknownProvider: (known: readonly string[]): string =>
    `That is not the name of a provider. The providers are: ${known.join(', ')}.`,
  secretRequired: (): string =>
    'Give the secret: --secret <secret>, or --secret-env <NAME> to read it from an environment variable.',
  credentialTwice: (option: string): string => `Give ${option} or ${option}-env, not both.`,
  credentialEmpty: (option: string): string => `${option} is empty.`,
  variableUnset: (variable: string, option: string): string =>
    `The environment variable ${variable} (named by ${option}) is not set or is empty.`,
  headerInvalid: (position: number): string =>
    `--header number ${position} is not "name:value" with a valid header name.`,
  toleranceInvalid: (): string => '--tolerance takes a number of seconds (0 turns the window off).',
  timeoutInvalid: (): string => '--timeout takes a number of seconds greater than 0.',
  urlRequiredToSend: (): string => 'send needs --url <url>: where to POST the delivery.',
  urlRequiredForCurl: (): string => '--curl needs --url <url>: the URL the command posts to.',
  urlInvalid: (): string => '--url must be an absolute http: or https: URL.',
  urlSigned: (provider: string): string =>
    `${provider} signs the URL it calls: give --url with the URL the delivery goes to.`,
  urlUnknown: (provider: string): string =>
    `${provider} signs the URL it called, and the request has no Host header to rebuild it from: give --url.`,
  requestRequired: (): string => 'verify needs --request <file>: the captured HTTP request (- for standard input).',
  unknownEvent: (provider: string, event: string, known: readonly string[]): string =>
    known.length === 0
      ? `${provider} has no example of event ${JSON.stringify(event)}: its examples have no event type. ` +
        'Give --payload <file> to send your own.'
      : `${provider} has no example of event ${JSON.stringify(event)}. Its examples: ${known.join(', ')}. ` +
        'Give --payload <file> to send your own.',
  fileUnreadable: (path: string, code: string): string => `Cannot read ${JSON.stringify(path)} (${code}).`,

  // ---- Reading a captured request ----
  requestNoBlankLine: (): string =>
    'The request file has no blank line after its headers: it must hold the request line, the headers, a blank line ' +
    'and the body (the raw message a proxy saves, or a curl --trace dump).',
  requestIsResponse: (): string => 'The request file starts with a status line: it holds a response, not a request.',
  requestLineInvalid: (): string =>
    'The request file does not start with a request line such as "POST /webhooks/github HTTP/1.1".',
  headerLineInvalid: (line: number): string => `Line ${line} of the request file is not a "name: value" header.`,
  contentLengthInvalid: (): string => 'The request has a Content-Length that is not one number.',
  bodyShorter: (bytes: number, declared: number): string =>
    `The request's body is ${bytes} bytes, and its Content-Length says ${declared}: the capture is incomplete.`,
  chunkedInvalid: (): string => 'The request says Transfer-Encoding: chunked, and its body is not well-formed chunks.',
  traceNotHex: (): string =>
    'This curl trace is not a hex dump: --trace-ascii shows some bytes as dots, so capture with --trace <file>.',
  traceEmpty: (): string => 'This curl trace has no "=> Send header" section: no request was sent.',
  chunkedDecoded: (): string => 'note: the body was sent chunked; it is checked decoded, as a server reads it',
  bytesIgnored: (count: number): string =>
    `note: ${count} byte(s) after the Content-Length were left out (an editor's final newline?)`,

  // ---- Results ----
  sent: (url: string, status: number, statusText: string, ms: number): string =>
    `POST ${url}: ${status}${statusText ? ` ${statusText}` : ''} in ${ms} ms`,
  sendFailed: (url: string, detail: string): string => `POST ${url} failed: ${detail}`,
  timedOut: (): string => 'no answer before --timeout',
  curlReadsVariable: (variable: string): string =>
    `note: the command reads the secret from $${variable} (it is never printed): set it before running the command.`,
  headerCarriesSecret: (header: string): string =>
    `note: ${header} carries the secret in clear, shown as [redacted]; use --curl to get a command that reads it ` +
    'from a variable.',
  verified: (provider: string): string => `verified: a genuine ${provider} delivery`,
  fact: (label: string, value: string): string => `  ${label}: ${value}`,
  refused: (reason: string): string => `refused: ${reason}`,
  windowMissed: (timestamp: string, skew: number, missedBy: number, tolerance: number): string =>
    `The timestamp is ${timestamp}, ${Math.abs(skew)}s ${skew >= 0 ? 'ago' : 'ahead'}: ${missedBy}s outside the ` +
    `${tolerance}s window.`,
  verifiesWithoutWindow: (defaultTolerance: boolean): string =>
    'With the window off the delivery verifies: its signature is good, it is only old.' +
    (defaultTolerance ? ' A captured request usually is: --tolerance 0 turns the window off.' : ''),
  refusedWithoutWindow: (reason: string): string => `With the window off it is still refused: ${reason}.`,
  urlChecked: (url: string): string => `The URL checked was ${url}; if the sender called another, give it with --url.`,
  headersTitle: (): string => "The sender's headers in the request:",
  headerPresence: (header: {
    readonly name: string;
    readonly present: boolean;
    readonly sensitive: boolean;
    readonly value?: string;
  }): string =>
    !header.present
      ? `  ${header.name}: missing`
      : header.sensitive
        ? `  ${header.name}: present (value hidden)`
        : `  ${header.name}: ${header.value ?? ''}`,
  providerLine: (listing: {
    readonly name: string;
    readonly sender: string;
    readonly secret: string;
    readonly signsUrl: boolean;
    readonly events: readonly string[];
  }): string =>
    `${listing.name.padEnd(18)} ${listing.sender}. Secret: ${listing.secret}. ` +
    `Example events: ${listing.events.length > 0 ? listing.events.join(', ') : 'none (no event type)'}.` +
    (listing.signsUrl ? ' Signs the URL: give --url.' : ''),
  failed: (message: string, reason: string | undefined): string => `error: ${message}${reason ? ` (${reason})` : ''}`,
};

const CREDENTIAL_OPTIONS = `  --secret <secret>       the source's secret (a key-pair sender's: its public key)
  --secret-env <NAME>     read the secret from the environment variable NAME instead (keeps it out of
                          shell history)
  --token <token>         a token the sender sends in clear beside its signature, where it has one
  --token-env <NAME>      read the token from the environment variable NAME
  --json                  print one JSON object instead of text
  -h, --help              this help`;

const SIGNING_OPTIONS = `  --event <type>          send the example of this event (the providers command lists them); with
                          --payload, the event to write where the sender writes it in a header
  --payload <file>|-      the body's exact bytes, from a file or standard input (default: the sender's
                          example; {} for a sender without one)
  --header <name:value>   one more header (a gateway's authorization, say); repeatable; wins over the
                          sender's own
  --private-key <file>    PKCS#8 PEM private key, for senders that sign with a key pair (their --secret
                          is the public key)
  --id <id>               the delivery id to write, where the sender sends one`;

/** The top-level `--help`. */
export function mainHelp(context: HelpContext): string {
  return `${PROGRAM}: sign, send and verify webhooks exactly as their senders do.

Usage: ${PROGRAM} <command> <provider> [options]

Commands:
  send <provider>      sign a delivery as the sender would and POST it; prints the status, the
                       response body and the time taken
  sign <provider>      print a signed delivery (the HTTP request, or a curl command) without sending it
  verify <provider>    check a captured HTTP request; says why it is refused, if it is
  providers            list the providers, what their secret is and their example events

Run "${PROGRAM} <command> --help" for a command's options; "${PROGRAM} --version" for the version.

Providers (the presets registered by name; a provider made in code, such as hmacProvider(...), is not
one the command line can name):
${wrapList(context.providers, '  ')}

Exit codes: 0 ok; 1 refused or failed (a non-2xx answer, a delivery that does not verify); 2 usage error.`;
}

/** A command's `--help`. */
export function commandHelp(command: CliCommand, context: HelpContext): string {
  const urlSigners = context.signingUrl.join(', ');
  switch (command) {
    case 'send':
      return `Usage: ${PROGRAM} send <provider> --url <url> (--secret <secret> | --secret-env <NAME>) [options]

Signs a delivery exactly as the provider's sender would and POSTs it to --url; prints the status, the
response body and the time taken. Exit 0 for a 2xx answer, 1 for any other answer or none, 2 for a
usage error.

Options:
  --url <url>             where to POST it (${urlSigners} sign this URL)
${SIGNING_OPTIONS}
  --timeout <seconds>     give up after this long (default 30)
${CREDENTIAL_OPTIONS}

Example:
  ${PROGRAM} send github --url http://localhost:3000/webhooks/github --secret-env GITHUB_SECRET \\
    --event push`;
    case 'sign':
      return `Usage: ${PROGRAM} sign <provider> (--secret <secret> | --secret-env <NAME>) [options]

Prints a signed delivery without sending it: the HTTP request as it would go over the wire (request
line, headers, a blank line, the body; "verify --request" reads it back), a curl command (--curl) or
JSON (--json). A header that carries the secret in clear is shown as [redacted]; in a curl command it
reads the secret from a shell variable.

Options:
  --url <url>             the URL it goes to (needed by --curl, and by ${urlSigners}, which sign it)
  --curl                  print a ready curl command instead
${SIGNING_OPTIONS}
${CREDENTIAL_OPTIONS}

Example:
  ${PROGRAM} sign stripe --secret-env STRIPE_SECRET --url http://localhost:3000/webhooks/stripe --curl | sh`;
    case 'verify':
      return `Usage: ${PROGRAM} verify <provider> --request <file> (--secret <secret> | --secret-env <NAME>) [options]

Reads a captured HTTP request (the raw message a proxy or "nc -l" saves: request line, headers, a blank
line, the body; or the dump of "curl --trace <file>") and checks it as the library would. When it is
refused: the reason code, the message, how far the timestamp missed the window, and which of the
sender's headers were present or missing. An expected signature is never printed.
Exit 0 when it verifies, 1 when it is refused, 2 for a usage error.

Options:
  --request <file>|-      the captured request (- for standard input)
  --tolerance <seconds>   the replay window, as the library's toleranceSeconds (default: the sender's);
                          0 turns it off, since a captured request is usually older than the window
  --url <url>             the URL the sender called, for ${urlSigners} (default: rebuilt from the
                          request's Host, over X-Forwarded-Proto or https)
${CREDENTIAL_OPTIONS}

Example:
  ${PROGRAM} verify github --secret-env GITHUB_SECRET --request captured.http --tolerance 0`;
    case 'providers':
      return `Usage: ${PROGRAM} providers [--json]

Lists every provider the command line can name: its sender, what its secret is, the events of its
examples (what --event picks) and whether it signs the URL (then --url is needed).

Options:
  --json                  print one JSON object instead of text
  -h, --help              this help`;
  }
}
