import { parseSendArgs } from './cli-args.js';
import { cliProvider, signedDelivery } from './cli-delivery.js';
import type { CliIo } from './cli-io.js';
import type { CliOutput } from './cli-output.js';
import { cliMessages } from './cli.messages.js';

/** What the server answered, and how long it took. */
interface SendResult {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly timeMs: number;
}

/**
 * `send <provider> --url <url> ...`: signs a delivery as the sender would and POSTs it.
 * @returns 0 for a 2xx answer, 1 for any other answer or none.
 */
export async function sendCommand(argv: readonly string[], io: CliIo, output: CliOutput): Promise<number> {
  const args = parseSendArgs(argv, io.env);
  const provider = cliProvider(args.provider, 'send');
  const delivery = await signedDelivery(provider, args, io, 'send');
  const summary = {
    command: 'send',
    provider: provider.name,
    event: delivery.event ?? null,
    payload: delivery.payloadSource,
    url: args.url,
    request: { headers: Object.fromEntries(delivery.headers), bodyBytes: delivery.body.length },
  };
  let result: SendResult;
  try {
    result = await post(args.url, delivery.headers, delivery.body, args.timeoutMs);
  } catch (error) {
    const detail = failureOf(error);
    if (output.json) output.object({ ok: false, ...summary, error: 'failed', message: detail });
    else output.error(cliMessages.sendFailed(args.url, detail));
    return 1;
  }
  const ok = result.status >= 200 && result.status < 300;
  if (output.json) {
    const { status, statusText, timeMs, headers, body } = result;
    output.object({ ok, ...summary, status, statusText, timeMs, response: { headers, body } });
  } else {
    output.line(cliMessages.sent(args.url, result.status, result.statusText, result.timeMs));
    if (result.body !== '') output.line(result.body);
  }
  return ok ? 0 : 1;
}

/** One POST with Node's own fetch; redirects are reported, not followed (a sender does not follow them). */
async function post(
  url: string,
  headers: readonly (readonly [string, string])[],
  body: Buffer,
  timeoutMs: number,
): Promise<SendResult> {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: headers.map(([name, value]) => [name, value]),
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  return {
    status: response.status,
    statusText: response.statusText,
    headers: Object.fromEntries(response.headers),
    body: text,
    timeMs: Math.round(performance.now() - started),
  };
}

/** Why no answer came: the system's code (ECONNREFUSED, ...) where fetch gives one, else the error's own words. */
function failureOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return cliMessages.timedOut();
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code} (${cause.message})` : cause.message;
  }
  return error.message;
}
