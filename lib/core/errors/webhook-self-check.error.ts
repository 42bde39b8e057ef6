import { WebhookError } from './webhook.error.js';

/** `app.listen()` rejects with this when `selfCheck: 'fail'` found the raw bytes altered or lost. */
export class WebhookSelfCheckError extends WebhookError<'self_check_failed'> {
  constructor(message: string) {
    super('self_check_failed', message);
  }
}
