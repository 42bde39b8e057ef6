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

/**
 * Sends an answer on a route that handles its response itself (`@Res()`): the receipt as
 * its JSON text, a sender's answer with its status and content type, the platform's way.
 */
export function sendAnswer(adapter: WebhookHttpAdapter, response: unknown, answer: WebhookAnswer): void {
  if (answer instanceof WebhookResponse) adapter.send(response, answer.status, answer.contentType, answer.body);
  else adapter.sendJson(response, 200, JSON.stringify(answer));
}
