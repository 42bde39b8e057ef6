import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { WEBHOOK_SOURCE_METADATA } from './webhooks.constants.js';
import { verifiedOf } from './verified-requests.js';
import type { VerifiedWebhookRequest } from './webhook-context.js';

/**
 * Names the configured source that `WebhookSignatureGuard` verifies on an
 * application's own route (on the method or the controller).
 *
 * @example
 * ```ts
 * @Post('guuru')
 * @HttpCode(200)
 * @WebhookSource('guuru')
 * @UseGuards(WebhookSignatureGuard)
 * receive(@Body() chat: GuuruChatDto, @WebhookDelivery() delivery: VerifiedWebhookRequest) {}
 * ```
 */
export const WebhookSource = (source: string): MethodDecorator & ClassDecorator =>
  SetMetadata(WEBHOOK_SOURCE_METADATA, source);

/**
 * Injects what `WebhookSignatureGuard` proved about the request: source, delivery id,
 * event, timestamp and the raw body. `undefined` on a route without the guard.
 */
export const WebhookDelivery = createParamDecorator(
  (_data: unknown, context: ExecutionContext): VerifiedWebhookRequest | undefined => {
    const verifiedDelivery = verifiedOf(context.switchToHttp().getRequest<object>());
    if (!verifiedDelivery) return undefined;
    const { source, tenant, delivery, verified } = verifiedDelivery;
    return {
      source: source.name,
      provider: source.provider.name,
      tenant,
      event: verified.event,
      deliveryId: verified.deliveryId,
      timestamp: verified.timestamp,
      rawBody: delivery.rawBody,
    };
  },
);
