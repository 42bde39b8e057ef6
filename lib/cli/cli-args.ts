import { parseArgs } from 'node:util';
import { CliUsageError } from './cli-usage.error.js';
import { cliMessages } from './cli.messages.js';

/** The sender and the credentials every command but `providers` takes. */
export interface CredentialArgs {
  /** The provider's registered name, as typed. */
  readonly provider: string;
  /** From `--secret` or the variable `--secret-env` names. */
  readonly secret: string | undefined;
  /** From `--token` or the variable `--token-env` names. */
  readonly token: string | undefined;
  /** The variable `--secret-env` named, if the secret came from one. */
  readonly secretVariable: string | undefined;
  /** The variable `--token-env` named, if the token came from one. */
  readonly tokenVariable: string | undefined;
  /** `--json`. */
  readonly json: boolean;
}

/** What `send` and `sign` take beside the credentials. */
export interface SigningArgs extends CredentialArgs {
  readonly url: string | undefined;
  readonly event: string | undefined;
  /** A file path, or `-` for standard input. */
  readonly payload: string | undefined;
  /** `--header name:value`, in order; names lower-cased. */
  readonly headers: readonly (readonly [name: string, value: string])[];
  /** A PEM file. */
  readonly privateKey: string | undefined;
  readonly id: string | undefined;
}

/** `send`'s arguments. */
export interface SendArgs extends SigningArgs {
  readonly url: string;
  readonly timeoutMs: number;
}

/** `sign`'s arguments. */
export interface SignArgs extends SigningArgs {
  readonly curl: boolean;
}

/** `verify`'s arguments. */
export interface VerifyArgs extends CredentialArgs {
  /** A file path, or `-` for standard input. */
  readonly request: string;
  readonly toleranceSeconds: number | undefined;
  readonly url: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

const CREDENTIAL_OPTIONS = {
  secret: { type: 'string' },
  'secret-env': { type: 'string' },
  token: { type: 'string' },
  'token-env': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const SIGNING_OPTIONS = {
  ...CREDENTIAL_OPTIONS,
  url: { type: 'string' },
  event: { type: 'string' },
  payload: { type: 'string' },
  header: { type: 'string', multiple: true },
  'private-key': { type: 'string' },
  id: { type: 'string' },
} as const;

const DEFAULT_TIMEOUT_SECONDS = 30;
/** An HTTP token (RFC 9110): what a header name may be made of. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const SECONDS = /^\d+(\.\d+)?$/;

/** Options whose value is a secret: found before parsing, so even a parse error cannot echo one. */
const SECRET_OPTIONS = ['--secret', '--token'];

/** Parses `send <provider> ...`. */
export function parseSendArgs(args: readonly string[], env: Env): SendArgs {
  const { values, positionals } = parse('send', () =>
    parseArgs({
      args: [...args],
      options: { ...SIGNING_OPTIONS, timeout: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    }),
  );
  const signing = signingArgs('send', values, positionals, env);
  if (signing.url === undefined) throw new CliUsageError(cliMessages.urlRequiredToSend(), 'send');
  return { ...signing, url: signing.url, timeoutMs: timeoutOf(values.timeout) };
}

/** Parses `sign <provider> ...`. */
export function parseSignArgs(args: readonly string[], env: Env): SignArgs {
  const { values, positionals } = parse('sign', () =>
    parseArgs({
      args: [...args],
      options: { ...SIGNING_OPTIONS, curl: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    }),
  );
  const signing = signingArgs('sign', values, positionals, env);
  const curl = values.curl ?? false;
  if (curl && signing.url === undefined) throw new CliUsageError(cliMessages.urlRequiredForCurl(), 'sign');
  return { ...signing, curl };
}

/** Parses `verify <provider> ...`. */
export function parseVerifyArgs(args: readonly string[], env: Env): VerifyArgs {
  const { values, positionals } = parse('verify', () =>
    parseArgs({
      args: [...args],
      options: {
        ...CREDENTIAL_OPTIONS,
        request: { type: 'string' },
        tolerance: { type: 'string' },
        url: { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    }),
  );
  const credentials = credentialArgs('verify', values, positionals, env);
  if (values.request === undefined) throw new CliUsageError(cliMessages.requestRequired(), 'verify');
  return {
    ...credentials,
    request: values.request,
    toleranceSeconds: toleranceOf(values.tolerance),
    url: values.url,
  };
}

/** Parses `providers [--json]`. */
export function parseProvidersArgs(args: readonly string[]): { readonly json: boolean } {
  const { values, positionals } = parse('providers', () =>
    parseArgs({
      args: [...args],
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    }),
  );
  if (positionals.length > 0) throw new CliUsageError(cliMessages.noArgumentsTaken('providers'), 'providers');
  return { json: values.json ?? false };
}

/**
 * The values of `--secret` and `--token` wherever they are in `args`, and of the variables
 * `--secret-env` and `--token-env` name: read before parsing, so that any output (a parse
 * error included) can be cleaned of them.
 */
export function secretsIn(args: readonly string[], env: Env): string[] {
  const found: string[] = [];
  args.forEach((arg, index) => {
    const [name = '', inline] = arg.split(/=(.*)/s);
    const value = inline ?? args[index + 1];
    if (value === undefined) return;
    if (SECRET_OPTIONS.includes(name)) found.push(value);
    if (SECRET_OPTIONS.map((option) => `${option}-env`).includes(name)) {
      const fromEnv = env[value];
      if (fromEnv) found.push(fromEnv);
    }
  });
  return found;
}

/** Whether `--json` is among the arguments (read before parsing, to answer even a usage error in JSON). */
export function wantsJson(args: readonly string[]): boolean {
  return args.includes('--json');
}

/** Whether `--help` or `-h` is among the arguments. */
export function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

interface CredentialValues {
  readonly secret?: string;
  readonly 'secret-env'?: string;
  readonly token?: string;
  readonly 'token-env'?: string;
  readonly json?: boolean;
}

interface SigningValues extends CredentialValues {
  readonly url?: string;
  readonly event?: string;
  readonly payload?: string;
  readonly header?: string[];
  readonly 'private-key'?: string;
  readonly id?: string;
}

function signingArgs(command: string, values: SigningValues, positionals: string[], env: Env): SigningArgs {
  return {
    ...credentialArgs(command, values, positionals, env),
    url: values.url,
    event: values.event,
    payload: values.payload,
    headers: (values.header ?? []).map((header, index) => headerOf(command, header, index)),
    privateKey: values['private-key'],
    id: values.id,
  };
}

function credentialArgs(command: string, values: CredentialValues, positionals: string[], env: Env): CredentialArgs {
  const provider = providerOf(command, positionals);
  const secret = credentialOf(command, '--secret', values.secret, values['secret-env'], env);
  const token = credentialOf(command, '--token', values.token, values['token-env'], env);
  if (secret === undefined && token === undefined) throw new CliUsageError(cliMessages.secretRequired(), command);
  return {
    provider,
    secret,
    token,
    secretVariable: values['secret-env'],
    tokenVariable: values['token-env'],
    json: values.json ?? false,
  };
}

/** The one positional argument. Extra ones are counted, never quoted: one may be a misplaced secret. */
function providerOf(command: string, positionals: string[]): string {
  const [provider] = positionals;
  if (provider === undefined) throw new CliUsageError(cliMessages.providerRequired(command), command);
  if (positionals.length > 1) {
    throw new CliUsageError(cliMessages.tooManyArguments(command, positionals.length), command);
  }
  return provider;
}

/** A credential given directly or through an environment variable, not both; never empty. */
function credentialOf(
  command: string,
  option: string,
  direct: string | undefined,
  variable: string | undefined,
  env: Env,
): string | undefined {
  if (direct !== undefined && variable !== undefined) {
    throw new CliUsageError(cliMessages.credentialTwice(option), command);
  }
  if (variable !== undefined) {
    const value = env[variable];
    if (!value) throw new CliUsageError(cliMessages.variableUnset(variable, `${option}-env`), command);
    return value;
  }
  if (direct === '') throw new CliUsageError(cliMessages.credentialEmpty(option), command);
  return direct;
}

/** `name:value`; the value is never quoted back (it may be a gateway's credential). */
function headerOf(command: string, header: string, index: number): readonly [string, string] {
  const colon = header.indexOf(':');
  const name = colon === -1 ? '' : header.slice(0, colon).trim();
  if (!HEADER_NAME.test(name)) throw new CliUsageError(cliMessages.headerInvalid(index + 1), command);
  return [name.toLowerCase(), header.slice(colon + 1).trim()];
}

function toleranceOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!SECONDS.test(text)) throw new CliUsageError(cliMessages.toleranceInvalid(), 'verify');
  return Number(text);
}

function timeoutOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TIMEOUT_SECONDS * 1000;
  if (!SECONDS.test(text) || Number(text) === 0) throw new CliUsageError(cliMessages.timeoutInvalid(), 'send');
  return Number(text) * 1000;
}

/** `parseArgs`'s own errors (unknown option, missing value) as usage errors of `command`. */
function parse<T>(command: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw new CliUsageError(cliMessages.badOption(error instanceof Error ? error.message : String(error)), command);
  }
}
