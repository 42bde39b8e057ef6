import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { WebhookConfigurationError } from '../core/errors/index.js';
import { noSourceForGuard } from '../core/errors/webhook.messages.js';
import { IncomingWebhook } from '../core/incoming-webhook.js';
import type { WebhookHttpAdapter } from '../http/index.js';
import { nextAttemptId, type VerifiedAttempt } from './delivery-attempt.js';
import type { SourceVerifier } from './tenant-secret-cache.js';
import { rememberVerified } from './verified-requests.js';
import { WebhookHttpAdapterHost } from './webhook-http-adapter.host.js';
import { WebhookOutcomeRecorder } from './webhook-outcome-recorder.service.js';
import { WebhookSources, type WebhookSource } from './webhook-sources.js';
import { WebhookTracing, type AttemptTrace } from './webhook-tracing.service.js';
import { WEBHOOK_SOURCE_METADATA } from './webhooks.constants.js';

/** Marks a route whose source comes from its `:source` parameter (no `@WebhookRoute`). */
const FROM_PARAMETER = Symbol('from the :source parameter');

/**
 * Verifies a delivery from its exact bytes before anything else touches it: the source comes
 * from `@WebhookRoute()` or the `:source` route parameter, the tenant from the `:tenant` one.
 * A refused delivery gets its status (401, 404, 405, 413, 500, 503) and one log line. It runs
 * for every delivery, so it builds nothing it does not need: no closure per request, no await
 * where the platform already holds the bytes and the secrets are fixed.
 */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  /** The source each route handler names (its `@WebhookRoute` metadata), looked up once per route. */
  private readonly sourceOfRoute = new WeakMap<object, string | typeof FROM_PARAMETER>();

  constructor(
    private readonly reflector: Reflector,
    private readonly sources: WebhookSources,
    private readonly adapters: WebhookHttpAdapterHost,
    private readonly recorder: WebhookOutcomeRecorder,
    private readonly tracing: WebhookTracing,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const request = context.switchToHttp().getRequest<object>();
    const adapter = this.adapters.get();
    const sourceName = this.sourceNameOf(context, adapter, request);
    const attemptId = nextAttemptId();
    const tenant = adapter.param(request, 'tenant');
    const trace = this.tracing.startRequest(sourceName, attemptId);
    let source: WebhookSource | undefined;
    let resolved: SourceVerifier | Promise<SourceVerifier>;
    // The secret first: an unknown tenant or a failing resolver is answered without reading the body.
    const resolveStart = performance.now();
    try {
      source = this.sources.route(sourceName, adapter.method(request), tenant);
      resolved = source.verifierFor(tenant, adapter.headers(request));
    } catch (error) {
      return this.refuse(request, adapter, attemptId, trace, sourceName, source, tenant, undefined, error);
    }
    const routed = source;
    if (!(resolved instanceof Promise)) return this.verify(request, adapter, routed, attemptId, trace, resolved, 0);
    return resolved.then(
      (verifier) => this.verify(request, adapter, routed, attemptId, trace, verifier, performance.now() - resolveStart),
      (error: unknown) => this.refuse(request, adapter, attemptId, trace, sourceName, routed, tenant, undefined, error),
    );
  }

  /**
   * Reads the body and verifies it: synchronously when the platform already holds the bytes
   * (Nest's guard runner then awaits nothing), through a promise when the stream must be read.
   */
  private verify(
    request: object,
    adapter: WebhookHttpAdapter,
    source: WebhookSource,
    attemptId: string,
    trace: AttemptTrace | undefined,
    resolved: SourceVerifier,
    resolveMs: number,
  ): boolean | Promise<boolean> {
    let body: Buffer | Promise<Buffer>;
    try {
      body = adapter.readBody(request, this.sources.maxBodyBytes);
    } catch (error) {
      return this.refuse(request, adapter, attemptId, trace, source.name, source, resolved.tenant, undefined, error);
    }
    if (Buffer.isBuffer(body))
      return this.verifyBytes(request, adapter, source, attemptId, trace, resolved, resolveMs, body);
    return body.then(
      (rawBody) => this.verifyBytes(request, adapter, source, attemptId, trace, resolved, resolveMs, rawBody),
      (error: unknown) =>
        this.refuse(request, adapter, attemptId, trace, source.name, source, resolved.tenant, undefined, error),
    );
  }

  private verifyBytes(
    request: object,
    adapter: WebhookHttpAdapter,
    source: WebhookSource,
    attemptId: string,
    trace: AttemptTrace | undefined,
    resolved: SourceVerifier,
    resolveMs: number,
    rawBody: Buffer,
  ): boolean {
    const headers = adapter.headers(request);
    try {
      const url = source.url ?? (source.provider.signsUrl ? () => adapter.url(request) : undefined);
      const json = adapter.parsedJson(request);
      const delivery = new IncomingWebhook(headers, rawBody, { method: adapter.method(request), url, json });
      const verifyStart = performance.now();
      const verified = resolved.verifier.verifyDelivery(delivery);
      const attempt: VerifiedAttempt = {
        attemptId,
        via: 'request',
        sourceName: source.name,
        source,
        tenant: resolved.tenant,
        scope: resolved.scope,
        headers,
        rawBody,
        delivery,
        verified,
        verifyMs: resolveMs + performance.now() - verifyStart,
        trace,
      };
      rememberVerified(request, attempt);
      this.recorder.record(attempt, 'verified');
      return true;
    } catch (error) {
      return this.refuse(request, adapter, attemptId, trace, source.name, source, resolved.tenant, rawBody, error);
    }
  }

  /** Records a refusal and throws its HTTP answer (anything not the library's own passes untouched). */
  private refuse(
    request: object,
    adapter: WebhookHttpAdapter,
    attemptId: string,
    trace: AttemptTrace | undefined,
    sourceName: string,
    source: WebhookSource | undefined,
    tenant: string | undefined,
    rawBody: Buffer | undefined,
    error: unknown,
  ): never {
    const headers = adapter.headers(request);
    throw this.recorder.toHttpError(
      { attemptId, via: 'request', sourceName, source, tenant, headers, rawBody, trace },
      error,
    );
  }

  private sourceNameOf(context: ExecutionContext, adapter: WebhookHttpAdapter, request: object): string {
    const handler = context.getHandler();
    let named = this.sourceOfRoute.get(handler);
    if (named === undefined) {
      named =
        this.reflector.getAllAndOverride<string | undefined>(WEBHOOK_SOURCE_METADATA, [handler, context.getClass()]) ??
        FROM_PARAMETER;
      this.sourceOfRoute.set(handler, named);
    }
    const name = named === FROM_PARAMETER ? adapter.param(request, 'source') : named;
    if (name === undefined) {
      throw new WebhookConfigurationError(noSourceForGuard(`${context.getClass().name}.${handler.name}`));
    }
    return name;
  }
}
