import { WebhookResponse } from '../core/webhook-response.js';
import type { WebhookHttpAdapter } from '../http/index.js';
import type { WebhookAnswer, WebhookReceipt } from './webhook-processing.service.js';

/**
 * What a route returns for an answer: the receipt as is (Nest sends it as JSON with the
 * route's 200), or a sender's answer whose status and content type are set on the response
 * first, then its body returned.
 */
export function answerWith(
  adapter: WebhookHttpAdapter,
  response: unknown,
  answer: WebhookAnswer,
): WebhookReceipt | string | undefined {
  if (!(answer instanceof WebhookResponse)) return answer;
  adapter.prepareAnswer(response, answer.status, answer.contentType);
  return answer.body;
}
