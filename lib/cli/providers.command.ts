import { registeredProviderNames } from '../core/provider-registry.js';
import type { WebhookProvider } from '../core/webhook-provider.js';
import { parseProvidersArgs } from './cli-args.js';
import { cliProvider } from './cli-delivery.js';
import type { CliIo } from './cli-io.js';
import type { CliOutput } from './cli-output.js';
import { cliMessages } from './cli.messages.js';

/** One provider as `providers` lists it. */
export interface ProviderListing {
  readonly name: string;
  readonly sender: string;
  /** What `--secret` is, in the sender's words. */
  readonly secret: string;
  /** Whether `--url` is needed to sign. */
  readonly signsUrl: boolean;
  /** The events `--event` can pick an example of. */
  readonly events: readonly string[];
}

/**
 * `providers`: every provider the command line knows, what its secret is and its example events.
 * @returns 0.
 */
export function providersCommand(argv: readonly string[], _io: CliIo, output: CliOutput): Promise<number> {
  parseProvidersArgs(argv);
  const listings = registeredProviderNames().map((name) => listing(cliProvider(name, 'providers')));
  if (output.json) output.object({ ok: true, command: 'providers', providers: listings });
  else for (const each of listings) output.line(cliMessages.providerLine(each));
  return Promise.resolve(0);
}

/** A provider's row: names from its own declaration, nothing written here about any sender. */
export function listing(provider: WebhookProvider): ProviderListing {
  const events = (provider.examples ?? []).map((example) => example.event).filter((event) => event !== undefined);
  return {
    name: provider.name,
    sender: provider.summary?.sender ?? provider.name,
    // The summaries are written for the docs' Markdown table: its code marks are left out here.
    secret: (provider.summary?.secret ?? cliMessages.none()).replace(/`/g, ''),
    signsUrl: provider.signsUrl ?? false,
    events,
  };
}
