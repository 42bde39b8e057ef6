import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { WebhookConfigurationError } from '../core/errors/index.js';
import { noSourceForGuard } from '../core/errors/webhook.messages.js';
import { IncomingWebhook } from '../core/incoming-webhook.js';
import { nextAttemptId, type VerifiedAttempt } from './delivery-attempt.js';
import { rememberVerified } from './verified-requests.js';
import { WebhookHttpAdapterHost } from './webhook-http-adapter.host.js';
import { WebhookOutcomeRecorder } from './webhook-outcome-recorder.service.js';
import { WebhookSources, type WebhookSource } from './webhook-sources.js';
import { WEBHOOK_SOURCE_METADATA } from './webhooks.constants.js';

/**
 * Verifies a delivery from its exact bytes before anything else touches it: the source comes
 * from `@WebhookRoute()` or the `:source` route parameter, the tenant from the `:tenant` one.
 * A refused delivery gets its status (401, 404, 405, 413, 500, 503) and one log line.
 */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sources: WebhookSources,
    private readonly adapters: WebhookHttpAdapterHost,
    private readonly recorder: WebhookOutcomeRecorder,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<object>();
    const adapter = this.adapters.get();
    const info = adapter.describe(request);
    const sourceName =
      this.reflector.getAllAndOverride<string | undefined>(WEBHOOK_SOURCE_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]) ?? info.param('source');
    if (sourceName === undefined) {
      throw new WebhookConfigurationError(noSourceForGuard(`${context.getClass().name}.${context.getHandler().name}`));
    }
    const attemptId = nextAttemptId();
    const routeTenant = info.param('tenant');
    let source: WebhookSource | undefined;
    let tenant = routeTenant;
    let rawBody: Buffer | undefined;
    try {
      source = this.sources.route(sourceName, info.method, routeTenant);
      // The secret first: an unknown tenant or a failing resolver is answered without reading the body.
      const resolveStart = performance.now();
      const resolved = await source.verifierFor(routeTenant, info.headers);
      const resolveMs = performance.now() - resolveStart;
      tenant = resolved.tenant;
      rawBody = await adapter.readBody(request, this.sources.maxBodyBytes);
      const delivery = new IncomingWebhook(info.headers, rawBody, { method: info.method, url: source.url ?? info.url });
      const verifyStart = performance.now();
      const verified = resolved.verifier.verifyDelivery(delivery);
      const attempt: VerifiedAttempt = {
        attemptId,
        via: 'request',
        sourceName,
        source,
        tenant,
        scope: resolved.scope,
        headers: info.headers,
        rawBody,
        delivery,
        verified,
        verifyMs: resolveMs + performance.now() - verifyStart,
      };
      rememberVerified(request, attempt);
      this.recorder.record(attempt, 'verified');
      return true;
    } catch (error) {
      throw this.recorder.toHttpError(
        { attemptId, via: 'request', sourceName, source, tenant, headers: info.headers, rawBody },
        error,
      );
    }
  }
}
