import { WebhookVerificationError } from '../core/errors/index.js';
import { requestValue } from '../core/errors/webhook.messages.js';
import { verifyWebhook, type VerifyWebhookOptions } from '../core/verify-webhook.js';
import { DEFAULT_TOLERANCE_SECONDS } from '../core/webhook-verifier.js';
import type { WebhookProvider } from '../core/webhook-provider.js';
import { parseCapturedRequest, type CapturedRequest } from './captured-request.js';
import { parseVerifyArgs, type VerifyArgs } from './cli-args.js';
import { cliProvider, readFileOf } from './cli-delivery.js';
import type { CliIo } from './cli-io.js';
import type { CliOutput } from './cli-output.js';
import { CliUsageError } from './cli-usage.error.js';
import { cliMessages } from './cli.messages.js';

/** One of the sender's headers, as the captured request has it. Sensitive values are never reported. */
export interface HeaderPresence {
  readonly name: string;
  readonly present: boolean;
  /** Whether it carries a signature or token (its value is then hidden). */
  readonly sensitive: boolean;
  /** The value, for a present header that is not sensitive, quoted if it is not plain. */
  readonly value?: string;
}

/** How far outside the window a timestamp was, and whether the delivery verifies with the window off. */
export interface WindowMiss {
  readonly timestamp: string | null;
  readonly skewSeconds: number | null;
  readonly missedBySeconds: number | null;
  readonly verifiesWithoutWindow: boolean;
  /** Why it is refused with the window off, when it is. */
  readonly reasonWithoutWindow: string | null;
}

/**
 * `verify <provider> --request <file> ...`: checks a captured request as the library would.
 * @returns 0 when it verifies, 1 when it is refused.
 */
export async function verifyCommand(argv: readonly string[], io: CliIo, output: CliOutput): Promise<number> {
  const args = parseVerifyArgs(argv, io.env);
  const provider = cliProvider(args.provider, 'verify');
  const request = parseCapturedRequest(await readFileOf(io, args.request, 'verify'));
  const options = verifyOptions(args, provider, request);
  const tolerance = args.toleranceSeconds ?? provider.defaultToleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const url = options.url;
  const context = { command: 'verify', provider: provider.name, toleranceSeconds: tolerance, url: url ?? null };
  const described = { request: describeRequest(request), headers: headerPresence(provider, request) };
  let code: number;
  try {
    const facts = factsOf(verifyWebhook(options));
    if (output.json) output.object({ ok: true, ...context, ...facts, ...described });
    else printVerified(output, provider, facts, url, described.headers);
    code = 0;
  } catch (error) {
    if (!(error instanceof WebhookVerificationError)) throw error;
    const window = error.reason === 'timestamp_out_of_window' ? windowMiss(options, tolerance) : null;
    const refusal = { reason: error.reason, message: error.message, window };
    if (output.json) output.object({ ok: false, ...context, ...refusal, ...described });
    else printRefused(output, refusal, tolerance, args.toleranceSeconds === undefined, url, described.headers);
    code = 1;
  }
  if (!output.json) printNotes(output, request);
  return code;
}

/** What `verifyWebhook` is given: the request as a server would hand it over, at one fixed `now`. */
function verifyOptions(args: VerifyArgs, provider: WebhookProvider, request: CapturedRequest): VerifyWebhookOptions {
  return {
    provider,
    secret: args.secret,
    token: args.token,
    headers: request.headers,
    rawBody: request.body,
    url: provider.signsUrl ? (args.url ?? urlOfRequest(request, provider)) : args.url,
    method: request.method,
    toleranceSeconds: args.toleranceSeconds,
    // Fixed, so the window's numbers worked out with the window off are for the same moment.
    now: new Date(),
  };
}

/**
 * The URL a sender that signs it called: the request target when it is absolute (a proxy's
 * capture), else `Host` and the target, over `X-Forwarded-Proto` or https (what senders call).
 */
export function urlOfRequest(request: CapturedRequest, provider: WebhookProvider): string {
  if (/^https?:\/\//i.test(request.target)) return request.target;
  const host = request.headers.host;
  if (typeof host !== 'string' || host === '') throw new CliUsageError(cliMessages.urlUnknown(provider.name), 'verify');
  const forwarded = [request.headers['x-forwarded-proto'] ?? []].flat()[0]?.split(',')[0]?.trim();
  const scheme = forwarded === 'http' || forwarded === 'https' ? forwarded : 'https';
  return `${scheme}://${host}${request.target}`;
}

/** The sender's headers (signature and token ones first), present or not; sensitive values hidden. */
export function headerPresence(provider: WebhookProvider, request: CapturedRequest): HeaderPresence[] {
  const sensitive = new Set(provider.sensitiveHeaders);
  const names = [...new Set([...provider.sensitiveHeaders, ...(provider.senderHeaders ?? [])])];
  return names.map((name) => {
    const value = request.headers[name];
    if (value === undefined) return { name, present: false, sensitive: sensitive.has(name) };
    if (sensitive.has(name)) return { name, present: true, sensitive: true };
    return { name, present: true, sensitive: false, value: [value].flat().map(requestValue).join(', ') };
  });
}

/**
 * With the window off, at the same `now`: whether the delivery would verify, and so how far
 * its timestamp is from now and by how much it missed the window. Never an expected signature.
 */
function windowMiss(options: VerifyWebhookOptions, tolerance: number): WindowMiss {
  try {
    const { timestamp } = verifyWebhook({ ...options, toleranceSeconds: 0 });
    const now = options.now ?? new Date();
    const skew = timestamp ? Math.round((now.getTime() - timestamp.getTime()) / 1000) : null;
    return {
      timestamp: timestamp?.toISOString() ?? null,
      skewSeconds: skew,
      missedBySeconds: skew === null ? null : Math.max(0, Math.abs(skew) - tolerance),
      verifiesWithoutWindow: true,
      reasonWithoutWindow: null,
    };
  } catch (error) {
    if (!(error instanceof WebhookVerificationError)) throw error;
    const nothing = { timestamp: null, skewSeconds: null, missedBySeconds: null };
    return { ...nothing, verifiesWithoutWindow: false, reasonWithoutWindow: error.reason };
  }
}

interface Facts {
  readonly deliveryId: string;
  readonly event: string | null;
  readonly timestamp: string | null;
}

function factsOf(verified: { deliveryId: string; event: string | undefined; timestamp: Date | undefined }): Facts {
  return {
    deliveryId: verified.deliveryId,
    event: verified.event ?? null,
    timestamp: verified.timestamp?.toISOString() ?? null,
  };
}

function describeRequest(request: CapturedRequest) {
  const { method, target, format, chunked, ignoredBytes } = request;
  return { method, target, format, chunked, ignoredBytes, bodyBytes: request.body.length };
}

function printVerified(
  output: CliOutput,
  provider: WebhookProvider,
  facts: Facts,
  url: string | undefined,
  headers: readonly HeaderPresence[],
): void {
  output.line(cliMessages.verified(provider.name));
  output.line(cliMessages.fact('delivery id', requestValue(facts.deliveryId)));
  output.line(cliMessages.fact('event', facts.event === null ? cliMessages.none() : requestValue(facts.event)));
  output.line(cliMessages.fact('timestamp', facts.timestamp ?? cliMessages.none()));
  if (url !== undefined) output.line(cliMessages.fact('url', url));
  printHeaders(output, headers);
}

function printRefused(
  output: CliOutput,
  refusal: { reason: string; message: string; window: WindowMiss | null },
  tolerance: number,
  defaultTolerance: boolean,
  url: string | undefined,
  headers: readonly HeaderPresence[],
): void {
  output.line(cliMessages.refused(refusal.reason));
  output.line(refusal.message);
  if (refusal.window) printWindow(output, refusal.window, tolerance, defaultTolerance);
  if (url !== undefined) output.line(cliMessages.urlChecked(url));
  printHeaders(output, headers);
}

function printWindow(output: CliOutput, window: WindowMiss, tolerance: number, defaultTolerance: boolean): void {
  if (window.timestamp !== null && window.skewSeconds !== null && window.missedBySeconds !== null) {
    output.line(cliMessages.windowMissed(window.timestamp, window.skewSeconds, window.missedBySeconds, tolerance));
  }
  output.line(
    window.verifiesWithoutWindow
      ? cliMessages.verifiesWithoutWindow(defaultTolerance)
      : cliMessages.refusedWithoutWindow(window.reasonWithoutWindow ?? ''),
  );
}

/** What was done to the file to read it as a server would: said, so nothing happens silently. */
function printNotes(output: CliOutput, request: CapturedRequest): void {
  if (request.chunked) output.error(cliMessages.chunkedDecoded());
  if (request.ignoredBytes > 0) output.error(cliMessages.bytesIgnored(request.ignoredBytes));
}

function printHeaders(output: CliOutput, headers: readonly HeaderPresence[]): void {
  if (headers.length === 0) return;
  output.line(cliMessages.headersTitle());
  for (const header of headers) output.line(cliMessages.headerPresence(header));
}
