import {
  applyDecorators,
  createParamDecorator,
  HttpCode,
  HttpStatus,
  SetMetadata,
  UseGuards,
  UseInterceptors,
  type ExecutionContext,
} from '@nestjs/common';
import { verifiedOf } from './verified-requests.js';
import { contextOf, type WebhookContext } from './webhook-context.js';
import { WebhookRouteInterceptor } from './webhook-route.interceptor.js';
import { WebhookSignatureGuard } from './webhook-signature.guard.js';
import { WEBHOOK_SOURCE_METADATA } from './webhooks.constants.js';

/**
 * Makes a method of the application's own controller a webhook route of a configured source:
 * every request is verified from its exact bytes first (401 and the reason when it is not), a
 * repeat of a delivery already handled is answered 200 without running the method again, a
 * sender's handshake is answered by the module, and success answers 200 (never 201: senders
 * retry on anything else). The method's value is the body of the answer.
 *
 * @example
 * ```ts
 * @Controller('hooks')
 * export class ChatController {
 *   @Post('guuru')
 *   @WebhookRoute('guuru')
 *   receive(@Body() chat: GuuruChatDto, @WebhookDelivery() delivery: WebhookContext) {
 *     return { ok: true };
 *   }
 * }
 * ```
 */
export function WebhookRoute(source: string): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(WEBHOOK_SOURCE_METADATA, source),
    UseGuards(WebhookSignatureGuard),
    UseInterceptors(WebhookRouteInterceptor),
    HttpCode(HttpStatus.OK),
  );
}

/**
 * Injects the verified delivery into a `@WebhookRoute()` method: the same
 * {@link WebhookContext} that `@WebhookHandler()` methods get (without attachments, since an
 * own route parses its body itself). `undefined` on a route without `@WebhookRoute()`.
 */
export const WebhookDelivery = createParamDecorator(
  (_data: unknown, context: ExecutionContext): WebhookContext | undefined => {
    const attempt = verifiedOf(context.switchToHttp().getRequest<object>());
    return attempt ? contextOf(attempt) : undefined;
  },
);
