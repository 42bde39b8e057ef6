import { readFileSync } from 'node:fs';
import { WebhookConfigurationError, WebhookError } from '../core/errors/index.js';
import { findWebhookProvider, registeredProviderNames } from '../core/provider-registry.js';
import { secretsIn, wantsHelp, wantsJson } from './cli-args.js';
// Loading the presets registers them by name.
import '../providers/index.js';
import type { CliIo } from './cli-io.js';
import { CliOutput } from './cli-output.js';
import { CliUsageError } from './cli-usage.error.js';
import { cliMessages, commandHelp, mainHelp, type CliCommand, type HelpContext } from './cli.messages.js';
import { providersCommand } from './providers.command.js';
import { sendCommand } from './send.command.js';
import { signCommand } from './sign.command.js';
import { verifyCommand } from './verify.command.js';

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, refused: 1, usage: 2 } as const;

type CommandRun = (argv: readonly string[], io: CliIo, output: CliOutput) => Promise<number>;

const COMMANDS: Readonly<Record<CliCommand, CommandRun>> = {
  send: sendCommand,
  sign: signCommand,
  verify: verifyCommand,
  providers: providersCommand,
};

/**
 * Runs one command line (the arguments after the program's name) and returns its exit code:
 * 0 ok, 1 refused or failed, 2 usage error. Never throws; never prints a secret it was given.
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const output = new CliOutput(io, wantsJson(argv));
  output.hide(...secretsIn(argv, io.env));
  const [command, ...rest] = argv;
  try {
    if (command === undefined) throw new CliUsageError(cliMessages.commandRequired());
    if (command === '--help' || command === '-h' || command === 'help') {
      output.line(mainHelp(helpContext()));
      return EXIT.ok;
    }
    if (command === '--version') {
      output.line(version());
      return EXIT.ok;
    }
    if (!isCommand(command)) throw new CliUsageError(cliMessages.unknownCommand());
    if (wantsHelp(rest)) {
      output.line(commandHelp(command, helpContext()));
      return EXIT.ok;
    }
    return await COMMANDS[command](rest, io, output);
  } catch (error) {
    return reportError(error, output);
  }
}

/** The provider names the help texts list, from the registry. */
function helpContext(): HelpContext {
  const providers = registeredProviderNames();
  return { providers, signingUrl: providers.filter((name) => findWebhookProvider(name)?.signsUrl) };
}

function isCommand(name: string): name is CliCommand {
  return Object.prototype.hasOwnProperty.call(COMMANDS, name);
}

/** Usage and configuration mistakes exit 2; anything else that went wrong, 1. */
function reportError(error: unknown, output: CliOutput): number {
  if (error instanceof CliUsageError || error instanceof WebhookConfigurationError) {
    const command = error instanceof CliUsageError ? error.command : undefined;
    const kind = error instanceof CliUsageError ? 'usage' : 'configuration';
    if (output.json) output.object({ ok: false, error: kind, message: error.message });
    else output.error(cliMessages.usageError(error.message, command));
    return EXIT.usage;
  }
  const message = error instanceof Error ? error.message : String(error);
  // instanceof on the generic base class leaves the reason untyped: typed back here.
  const reason: string | undefined = error instanceof WebhookError ? (error as WebhookError).reason : undefined;
  if (output.json) output.object({ ok: false, error: 'failed', reason: reason ?? null, message });
  else output.error(cliMessages.failed(message, reason));
  return EXIT.refused;
}

/** The package's version, from its package.json (two levels up from `dist/cli/`). */
function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as unknown;
  const value = typeof manifest === 'object' && manifest !== null ? (manifest as { version?: unknown }).version : '';
  return String(value);
}
