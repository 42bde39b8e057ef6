import { Injectable, Logger } from '@nestjs/common';
import {
  GuuruChatDto,
  ShopSurveyEventDto,
  StandardWebhookEventDto,
  SurvicateEventDto,
  UsersnapFeedbackDto,
  WebhookHandler,
  type WebhookContext,
} from '../lib/index.js';
import { ReceivedLog } from './received.log.js';

/** A GitHub push, typed as an interface: the handler gets the parsed JSON unvalidated. */
interface GithubPushEvent {
  ref?: string;
  repository?: { full_name?: string };
}

/** The part of a Stripe event the sample reads, typed as an interface: no DTO, no validation. */
interface StripeEvent {
  type: string;
  data: { object: { id: string; amount?: number; currency?: string } };
}

/** A Slack `event_callback`; the module routes it on the inner `event.type`. */
interface SlackEventCallback {
  event: { type: string; user?: string; text?: string };
}

/** The sample's handlers: one per sender (and per event where the sender has events). */
@Injectable()
export class FeedbackHandlers {
  private readonly logger = new Logger(FeedbackHandlers.name);

  constructor(private readonly received: ReceivedLog) {}

  @WebhookHandler('usersnap')
  onFeedback(feedback: UsersnapFeedbackDto, context: WebhookContext): void {
    this.record(
      'onFeedback',
      feedback,
      context,
      `feedback #${feedback.feedback_number}: ${feedback.comment?.text ?? ''}`,
    );
  }

  @WebhookHandler('guuru')
  onChat(chat: GuuruChatDto, context: WebhookContext): void {
    this.record('onChat', chat, context, `${chat.user?.name} asked "${chat.question}" and rated ${chat.rating}`);
  }

  @WebhookHandler('survicate', { event: 'questionAnswered' })
  onAnswer(event: SurvicateEventDto, context: WebhookContext): void {
    this.record('onAnswer', event, context, `message ${event.messageId}, try ${event.deliveryTries}`);
  }

  @WebhookHandler('shopsurvey', { event: 'Response.Created' })
  onResponse(event: ShopSurveyEventDto, context: WebhookContext): void {
    this.record('onResponse', event, context, `topic ${context.event}, message ${context.deliveryId}`);
  }

  @WebhookHandler('billing', { event: ['invoice.paid', 'invoice.refunded'] })
  onInvoice(event: StandardWebhookEventDto, context: WebhookContext): void {
    this.record('onInvoice', event, context, `${event.type} at ${event.timestamp}`);
  }

  @WebhookHandler('github', { event: 'push' })
  onPush(push: GithubPushEvent, context: WebhookContext): void {
    this.record('onPush', push, context, `push to ${push.ref} in ${push.repository?.full_name}`);
  }

  @WebhookHandler('stripe', { event: 'payment_intent.succeeded' })
  onPayment(event: StripeEvent, context: WebhookContext): void {
    const intent = event.data.object;
    this.record('onPayment', event, context, `${intent.id} paid ${intent.amount} ${intent.currency}`);
  }

  @WebhookHandler('slack', { event: 'app_mention' })
  onMention(callback: SlackEventCallback, context: WebhookContext): void {
    this.record('onMention', callback, context, `${callback.event.user} said "${callback.event.text}"`);
  }

  private record(handler: string, payload: object, context: WebhookContext, summary: string): void {
    this.logger.log(`${context.source} ${context.event ?? ''} ${context.deliveryId}: ${summary}`);
    this.received.add({
      source: context.source,
      event: context.event,
      deliveryId: context.deliveryId,
      handler,
      payloadType: payload.constructor.name,
      summary,
      attachments: (context.attachments ?? []).map(
        (a) => `${a.filename ?? a.name} (${a.contentType}, ${a.data.length} bytes)`,
      ),
      receivedAt: new Date().toISOString(),
    });
  }
}
