/**
 * Every text the library throws or logs, in one place (the dashboard's own are in
 * `dashboard.messages.ts`, beside its module). A value that came from a request is
 * always passed through {@link requestValue}, so it cannot forge a log line.
 */
import type { WebhookHandlerFailure } from './webhook-handler.error.js';
import type { WebhookRejectionReason } from './webhook-reasons.js';

const PLAIN_LOG_VALUE = /^[\w.:-]{1,128}$/;
const MAX_LOG_VALUE = 128;

/**
 * A JSON string literal, with the Unicode line and paragraph separators escaped too
 * (JSON leaves them raw, and some log viewers break lines on them).
 */
export function quoted(text: string): string {
  return JSON.stringify(text)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A value from the request as one safe token: quoted and cut short unless plainly safe. */
export function requestValue(value: string): string {
  if (PLAIN_LOG_VALUE.test(value)) return value;
  return quoted(value.length > MAX_LOG_VALUE ? `${value.slice(0, MAX_LOG_VALUE)}…` : value);
}

/**
 * What failed, without the error's message: code that reads secrets (resolvers, JSON.parse,
 * `authorize`) can quote what it was reading in its errors, and that may be the secret.
 */
export function errorKind(error: unknown): string {
  if (!(error instanceof Error)) return `a non-Error value (${typeof error})`;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number' ? `${error.name} (code ${String(code)})` : error.name;
}

// ---- Verification: what a sender's request got wrong (safe to send back) ----

export const headerMissing = (header: string): string => `The ${header} header is missing.`;
export const headerRepeated = (header: string): string => `The ${header} header was sent more than once.`;
export const headerMalformed = (header: string, expected: string): string => `The ${header} header ${expected}.`;
export const signatureMalformed = (header: string, encoding: string, algorithm: string): string =>
  `The ${header} header is not a ${encoding} ${algorithm.toUpperCase()} signature.`;
export const signatureMismatch = (header: string): string => `The ${header} header does not match the delivery.`;
export const noSignatureMatches = (header: string): string => `No signature in the ${header} header matches.`;
export const tooManySignatures = (header: string, max: number): string =>
  `The ${header} header has more than ${max} signatures.`;
export const noUsableSignature = (header: string): string => `The ${header} header has no well-formed signature.`;
export const secretsEnded = (): string => 'Every secret of this source is past its notAfter.';
export const timestampInvalid = (header: string): string => `The ${header} header is not a valid timestamp.`;
export const timestampOutOfWindow = (skewSeconds: number, toleranceSeconds: number): string =>
  `The delivery's timestamp is ${Math.round(skewSeconds)}s from now; at most ${toleranceSeconds}s is accepted.`;
export const algorithmRefused = (header: string, allowed: readonly string[]): string =>
  `The ${header} header must name ${allowed.join(', ')}.`;
export const tokenMismatch = (header: string): string => `The ${header} header is missing or does not match.`;
export const fieldMissing = (where: string, field: string): string => `The ${where} has no ${field}.`;

// ---- Payloads: a verified body that cannot become what handlers take (400) ----

export const bodyNotJson = (): string => 'The body is not valid JSON.';
export const multipartUnparseable = (detail: string): string => `The multipart body could not be parsed: ${detail}`;
export const multipartPartMissing = (part: string): string => `The multipart body has no "${part}" part.`;
export const multipartPartNotJson = (part: string): string => `The "${part}" part is not valid JSON.`;
export const payloadUnreadable = (detail: string): string => `The payload could not be read: ${detail}`;
export const payloadNotObject = (dto: string): string => `The payload is not an object and cannot become a ${dto}.`;
export const payloadNotObjectDetail = (dto: string): string =>
  `payload must be a JSON object to be validated as ${dto}`;
export const payloadInvalid = (dto: string): string => `The payload is not a valid ${dto}.`;

// ---- Bodies: what the HTTP edge could not read ----

export const bodyTooLarge = (maxBytes: number): string => `The body is larger than the ${maxBytes}-byte limit.`;
export const clientGoneBeforeBody = (): string => 'The client closed the connection before the body was read.';
export const clientGoneDuringBody = (): string => 'The client closed the connection before the body was complete.';
export const bodyStreamFailed = (detail: string): string => `The request body could not be read: ${detail}`;
export const rawBodyConsumed = (contentType: string | undefined, platform: 'express' | 'fastify'): string =>
  `A ${platform === 'express' ? 'body' : 'content-type'} parser consumed the ${contentType ?? 'request'} body ` +
  'before it could be verified. Create the app with ' +
  (platform === 'express'
    ? 'NestFactory.create(AppModule, { rawBody: true })'
    : 'NestFactory.create(AppModule, new FastifyAdapter(), { rawBody: true })') +
  ' so the exact bytes are kept (rawBody).';
export const unsupportedPlatform = (platform: string, supported: readonly string[]): string =>
  `nestjs-signed-webhooks has no adapter for the "${platform}" HTTP platform yet (supported: ${supported.join(', ')}).`;

// ---- Routing ----

export const unknownSource = (name: string): string => `No webhook source is configured as ${requestValue(name)}.`;
export const methodNotAllowed = (provider: string, method: string): string =>
  `${provider} does not deliver with ${requestValue(method)}.`;
export const invalidTenant = (tenant: string): string => `${requestValue(tenant)} is not a valid tenant.`;
export const unknownTenant = (source: string, tenant: string | undefined): string =>
  `The secret resolver of source "${source}" has no secret for tenant ${requestValue(tenant ?? '-')}.`;

// ---- Secret resolvers ----

export const resolverFailed = (source: string, error: unknown): string =>
  `The secret resolver of source "${source}" failed: ${errorKind(error)}`;
export const resolverAnswerUnusable = (source: string, error: unknown): string =>
  `The secret resolver of source "${source}" answered secrets its sender cannot use: ${errorKind(error)}`;
export const resolverBusy = (source: string, limit: number): string =>
  `The secret resolver of source "${source}" already has ${limit} lookups in flight; retry later.`;

// ---- De-duplication and queue ----

export const deliveryInProgress = (): string => 'This delivery is being handled right now; retry later.';
export const deliveryStoreUnavailable = (): string => 'The delivery store did not answer.';
export const deliveryQueueUnavailable = (): string => 'The delivery queue did not accept the delivery.';
export const deliveryStoreFull = (): string =>
  'The delivery store is full of deliveries that could still be replayed; retry later.';
export const deliveryStoreFullWarning = (maxEntries: number, refused: number): string =>
  `webhook delivery store full: the memory store holds ${maxEntries} deliveries that could still be replayed, ` +
  `so ${refused} new deliver${refused === 1 ? 'y was' : 'ies were'} answered 503 in the last minute ` +
  '(the senders retry). Raise deliveries.maxEntries, or use deliveries: { store: "redis" }, which has no such bound.';
export const jobTampered = (): string =>
  'The queued job does not carry a valid seal: its content changed after it was accepted. No handler ran.';
export const jobSourceGone = (source: string): string =>
  `No webhook source ${requestValue(source)} is configured any more.`;
export const claimLost = (key: string): string =>
  `webhook delivery claim lost while its handlers ran key=${requestValue(key)}`;
export const storeFailed = (error: unknown): string =>
  `webhook delivery store failed: ${error instanceof Error ? error.message : String(error)}`;
export const noFailedDelivery = (id: string): string => `No failed webhook delivery has the id ${requestValue(id)}.`;
export const deadLettersNeedQueue = (): string =>
  'Dead letters exist in queue mode only: WebhooksModule.forRoot({ processing: "queue", queue: { connection } }).';
export const redisNotConnected = (status: string): string => `not connected (connection ${requestValue(status)})`;

// ---- Health checks (nestjs-signed-webhooks/terminus) ----

export const healthStoreDown = (error: string): string => `the delivery store did not answer: ${error}`;
export const healthQueueDown = (error: string): string => `the queue's Redis did not answer: ${error}`;
export const healthTooManyDeadLetters = (failed: number, max: number): string =>
  `${failed} dead letters, more than maxDeadLetters (${max})`;
export const healthBeforeStart = (): string =>
  'WebhookDeliveries.health() answers once the application has started (app.init() or app.listen()).';
export const healthNeedsWebhooksModule = (): string =>
  'WebhooksHealthIndicator needs WebhooksModule.forRoot() imported globally (its default) or in the same module.';

// ---- Handlers ----

export const handlerFailures = (failures: readonly WebhookHandlerFailure[]): string =>
  failures
    .map(({ handler, error }) => `${handler}: ${error instanceof Error ? error.message : String(error)}`)
    .join('; ');
export const handlerFailedLine = (source: string, deliveryId: string, handler: string, attemptId: string): string =>
  `webhook handler failed source=${requestValue(source)} deliveryId=${requestValue(deliveryId)} ` +
  `handler=${handler} attempt=${attemptId}`;

export const jobCrashedLine = (source: string, attemptId: string): string =>
  `webhook job failed source=${requestValue(source)} attempt=${attemptId}`;
// The class only: a listener's error may quote the delivery it was reading.
export const outcomeListenerFailed = (error: unknown): string =>
  `a WebhookEvents listener threw ${errorKind(error)}; the delivery is not affected (logged once per listener)`;

/** One structured line per rejection: key=value pairs, never a secret or an expected signature. */
export function rejectionLine(fields: {
  readonly source: string | undefined;
  readonly tenant?: string;
  readonly reason: WebhookRejectionReason;
  readonly status: number | undefined;
  readonly deliveryId?: string;
  readonly attemptId: string;
  readonly detail: string;
}): string {
  const parts = [
    'webhook rejected',
    `source=${requestValue(fields.source ?? '-')}`,
    ...(fields.tenant === undefined ? [] : [`tenant=${requestValue(fields.tenant)}`]),
    `reason=${fields.reason}`,
    ...(fields.status === undefined ? [] : [`status=${fields.status}`]),
  ];
  if (fields.deliveryId) parts.push(`deliveryId=${requestValue(fields.deliveryId)}`);
  parts.push(`attempt=${fields.attemptId}`, `detail=${quoted(fields.detail)}`);
  return parts.join(' ');
}

// ---- Configuration: set-up mistakes, at start-up or at the wrong call ----

export const secretRequired = (provider: string): string => `The ${provider} provider needs a secret.`;
export const noSigningSecret = (provider: string): string => `The ${provider} provider has no secret to sign with.`;
export const secretsEndedForSigning = (provider: string): string =>
  `${provider}: every secret is past its notAfter; none can sign.`;
export const secretEntryInvalid = (owner: string): string =>
  `${owner}: every secret must be a non-empty string or { value, notAfter: Date }.`;
export const secretNotAfterInvalid = (owner: string): string =>
  `${owner}: a secret's notAfter must be a valid Date or ISO 8601 string.`;
export const toleranceInvalid = (): string =>
  'toleranceSeconds must be a non-negative number (0 turns the window off).';
export const rawBodyNotBytes = (): string => 'rawBody must be the exact bytes received, as a Buffer or Uint8Array.';
export const unknownProvider = (name: string, known: readonly string[]): string =>
  `Unknown webhook provider ${requestValue(name)}. Known providers: ${known.join(', ')}; ` +
  'any other sender can be declared with hmacProvider(...) or as a WebhookProvider object.';
export const providerNameTaken = (name: string): string =>
  `A webhook provider named "${name}" is registered already; choose another name.`;
export const urlRequired = (provider: string): string =>
  `${provider} signs the URL the request was sent to: pass url (the full URL, as the sender called it).`;
export const providerCannot = (provider: string, what: string): string => `The ${provider} provider ${what}.`;
export const optionInvalid = (option: string, expected: string): string => `${option} must be ${expected}.`;
export const sourcesMissing = (): string => 'WebhooksModule options need "sources": the senders to receive from.';
export const sourceConfigurationError = (source: string, problem: string): string =>
  `Webhook source "${source}": ${problem}`;
export const invalidSourceName = (source: string): string =>
  `Webhook source name "${source}" must be letters, digits, ".", "_" or "-", and must not start with "_" (reserved).`;
export const missingProvider = (source: string, builtIns: readonly string[]): string =>
  `Webhook source "${source}" is not a built-in provider's name (${builtIns.join(', ')}); set its "provider".`;
export const ttlShorterThanWindow = (ttlSeconds: number, longestWindow: number): string =>
  `deliveries.ttlSeconds (${ttlSeconds}) must be at least the longest replay window (${longestWindow}s): ` +
  'a repeat inside the window must still be recognised.';
export const queueNeedsConnection = (): string =>
  'processing: "queue" needs queue.connection (the Redis that holds the queue).';
export const redisStoreNeedsConnection = (): string => 'deliveries.store "redis" needs deliveries.connection.';
export const memoryStoreWithQueue = (): string =>
  'deliveries.store "memory" with processing "queue": workers in other processes will not share it; use "redis".';
export const packageMissing = (purpose: string, packages: readonly string[]): string =>
  `${purpose} needs the ${packages.map((name) => `"${name}"`).join(' and ')} package${packages.length > 1 ? 's' : ''}: ` +
  `npm install ${packages.join(' ')}`;
export const redisUnreachable = (where: string, purpose: string, cause: string): string =>
  `Redis at ${where} is unreachable (needed for ${purpose}): ${cause}. Start Redis or fix the connection settings.`;
export const noAnswerWithin = (ms: number): string => `no answer within ${ms / 1000}s`;
export const handlerForUnknownSource = (handler: string, source: string, configured: readonly string[]): string =>
  `@WebhookHandler('${source}') on ${handler} names a source that is not configured ` +
  `(configured: ${configured.length > 0 ? configured.join(', ') : 'none'}). Add it to WebhooksModule.forRoot({ sources }).`;
export const requestScopedHandler = (className: string): string =>
  `${className} has @WebhookHandler methods but is request-scoped; webhook handlers must be singletons, so they are ignored.`;
export const handlerDtoUnknown = (handler: string): string =>
  `@WebhookHandler on ${handler}: its DTO cannot be known, so its payload would reach it unvalidated. ` +
  'The build recorded no design:paramtypes (enable "emitDecoratorMetadata", which tsx, esbuild and Vitest ' +
  'without SWC leave out), or name the class: @WebhookHandler(source, { dto: MyDto }) ({ dto: Object } for none).';
export const respondersOverlap = (source: string, first: string, second: string): string =>
  `${first} and ${second} both answer the sender (respond: true) for deliveries of "${source}" of the same ` +
  'event: at most one handler per source and event may respond.';
export const credentialWarning = (source: string, warning: string): string =>
  `Webhook source "${source}" is ${warning}`;
export const tenantCredentialWarning = (source: string, tenant: string | undefined, warning: string): string =>
  `Webhook source "${source}", tenant ${requestValue(tenant ?? '-')} (secrets from its resolver), is ${warning}`;
export const noSourceForGuard = (handler: string): string =>
  `WebhookSignatureGuard on ${handler} does not know which source to verify: use @WebhookRoute('<name>') ` +
  'or a :source route parameter.';
export const guardDidNotRun = (): string => 'WebhookSignatureGuard did not run before the webhook route.';
export const signerResolverSource = (source: string): string =>
  `WebhookSigner: the secrets of "${source}" come from a resolver; use signForTenant(), or pass options.secret.`;
export const signerUnknownSource = (source: string): string =>
  `WebhookSigner: no webhook source is configured as "${source}".`;
export const selfCheckModeInvalid = (mode: unknown): string =>
  `selfCheck must be 'fail', 'warn' or 'off' (got ${String(mode)}).`;
export const selfCheckSignsItself = (): string => 'The self-check signs its own deliveries.';
export const selfCheckForeignDelivery = (): string => 'Not a self-check delivery of this process.';
export const selfCheckNoAddress = (): string => 'the HTTP server has no address';
export const selfCheckTimeout = (ms: number): string => `no answer within ${ms} ms`;
export const clusterNotReady = (ms: number): string =>
  `no node answered, or the cluster did not report cluster_state:ok, within ${ms / 1000}s ` +
  '(is every master up, and every slot assigned?)';
