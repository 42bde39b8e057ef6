/**
 * A command line the CLI cannot run as given: an unknown option, a missing `--url`, a request
 * file that is not an HTTP request. Exit code 2.
 *
 * It extends `Error`, not `WebhookError`: `WebhookError`'s reasons are a closed set of what a
 * delivery or a set-up can get wrong, which the library's users switch on; a mistyped flag is
 * neither, and adding a reason for it would widen every such switch for the CLI's sake.
 */
export class CliUsageError extends Error {
  constructor(
    message: string,
    /** The command whose `--help` to point at, when one was named. */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'CliUsageError';
  }
}
