import { WebhookConfigurationError } from '../core/errors/index.js';
import { registeredProviderNames, resolveProvider } from '../core/provider-registry.js';
import { signWebhook } from '../core/verify-webhook.js';
import type { WebhookProvider } from '../core/webhook-provider.js';
// Loading the presets registers them by name.
import '../providers/index.js';
import type { SigningArgs } from './cli-args.js';
import { readInput, type CliIo } from './cli-io.js';
import { CliUsageError } from './cli-usage.error.js';
import { cliMessages } from './cli.messages.js';

/** A signed delivery as the CLI sends or prints it. */
export interface CliDelivery {
  /** Lower-case names and values: the sender's headers, then the `--header` ones (which win). */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  /** The event type the delivery is, where known. */
  readonly event: string | undefined;
  /** Where the payload came from. */
  readonly payloadSource: 'file' | 'example' | 'empty';
}

/** The payload to sign: the one given, else the sender's example (of `--event`), else `{}`. */
interface ChosenPayload {
  readonly payload: unknown;
  readonly event: string | undefined;
  readonly source: CliDelivery['payloadSource'];
}

/**
 * The registered provider of that name. An unknown name is a usage error listing the known
 * ones; the name itself is not quoted back, since a misplaced argument may be a secret.
 */
export function cliProvider(name: string, command: string): WebhookProvider {
  try {
    return resolveProvider(name);
  } catch (error) {
    if (!(error instanceof WebhookConfigurationError)) throw error;
    throw new CliUsageError(cliMessages.unknownProvider(registeredProviderNames()), command);
  }
}

/**
 * Signs a delivery exactly as the provider's sender would, from the command's arguments.
 * @throws CliUsageError for a missing `--url` (senders that sign it), an unknown `--event`, an unreadable file.
 * @throws WebhookConfigurationError for credentials or a payload the sender cannot sign with.
 */
export async function signedDelivery(
  provider: WebhookProvider,
  args: SigningArgs,
  io: CliIo,
  command: string,
): Promise<CliDelivery> {
  if (provider.signsUrl && args.url === undefined) {
    throw new CliUsageError(cliMessages.urlSigned(provider.name), command);
  }
  if (args.url !== undefined) checkUrl(args.url, command);
  const chosen = await choosePayload(provider, args, io, command);
  const privateKey = args.privateKey === undefined ? undefined : await readFileOf(io, args.privateKey, command);
  const signed = signWebhook({
    provider,
    secret: args.secret,
    token: args.token,
    payload: chosen.payload,
    event: chosen.event,
    id: args.id,
    url: args.url,
    privateKey: privateKey?.toString('utf8'),
  });
  const headers = new Map(Object.entries(signed.headers));
  for (const [name, value] of args.headers) headers.set(name, value);
  return { headers: [...headers], body: signed.body, event: chosen.event, payloadSource: chosen.source };
}

/** Only `http:` and `https:` URLs can be sent to (and are what senders call). */
function checkUrl(url: string, command: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new CliUsageError(cliMessages.urlInvalid(), command);
  }
  if (protocol !== 'http:' && protocol !== 'https:') throw new CliUsageError(cliMessages.urlInvalid(), command);
}

async function choosePayload(
  provider: WebhookProvider,
  args: SigningArgs,
  io: CliIo,
  command: string,
): Promise<ChosenPayload> {
  if (args.payload !== undefined) {
    // The file's bytes are the body as the sender posts it: signed as they are, never re-encoded.
    return { payload: await readFileOf(io, args.payload, command), event: args.event, source: 'file' };
  }
  const examples = provider.examples ?? [];
  if (examples.length === 0) return { payload: {}, event: args.event, source: 'empty' };
  const example = args.event === undefined ? examples[0] : examples.find((each) => each.event === args.event);
  if (!example) {
    const known = examples.map((each) => each.event).filter((event) => event !== undefined);
    throw new CliUsageError(cliMessages.unknownEvent(provider.name, args.event ?? '', known), command);
  }
  return { payload: example.payload, event: example.event, source: 'example' };
}

/** A file's bytes (standard input's for `-`); one that cannot be read is a usage error naming the path and the system's code. */
export async function readFileOf(io: CliIo, path: string, command: string): Promise<Buffer> {
  try {
    return await readInput(io, path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new CliUsageError(cliMessages.fileUnreadable(path, typeof code === 'string' ? code : 'error'), command);
  }
}
