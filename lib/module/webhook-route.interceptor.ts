import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { lastValueFrom, of, type Observable } from 'rxjs';
import { WebhookConfigurationError, WebhookHandlerError } from '../core/errors/index.js';
import { guardDidNotRun } from '../core/errors/webhook.messages.js';
import { verifiedOf } from './verified-requests.js';
import { answerWith } from './webhook-answer.js';
import { WebhookHttpAdapterHost } from './webhook-http-adapter.host.js';
import { WebhookOutcomeRecorder } from './webhook-outcome-recorder.service.js';
import { WebhookProcessing } from './webhook-processing.service.js';

/**
 * Runs an application's own `@WebhookRoute()` method once per delivery: after the guard has
 * verified it, the delivery is claimed, the method runs, and the claim is completed; a repeat
 * is answered without running the method again, a handshake is answered by the module. What
 * the method throws reaches the application's exception filters untouched.
 */
@Injectable()
export class WebhookRouteInterceptor implements NestInterceptor {
  constructor(
    private readonly processing: WebhookProcessing,
    private readonly recorder: WebhookOutcomeRecorder,
    private readonly adapters: WebhookHttpAdapterHost,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = context.switchToHttp();
    const attempt = verifiedOf(http.getRequest<object>());
    if (!attempt) throw new WebhookConfigurationError(guardDidNotRun());
    const handler = `${context.getClass().name}.${context.getHandler().name}`;
    try {
      const outcome = await this.processing.receiveOnOwnRoute(attempt, handler, () =>
        lastValueFrom(next.handle(), { defaultValue: undefined }),
      );
      if ('result' in outcome) return of(outcome.result);
      return of(answerWith(this.adapters.get(), http.getResponse<object>(), outcome.answer));
    } catch (error) {
      if (
        error instanceof WebhookHandlerError &&
        error.failures.length === 1 &&
        error.failures[0]!.handler === handler
      ) {
        this.recorder.refused(attempt, error);
        throw error.failures[0]!.error;
      }
      throw this.recorder.toHttpError(attempt, error);
    }
  }
}
