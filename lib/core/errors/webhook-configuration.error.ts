import { WebhookError } from './webhook.error.js';

/**
 * Thrown for a set-up mistake (a missing secret, an unknown provider, a handler for a
 * source that is not configured). Raised at start-up or at the call that is wrong, never
 * in answer to a delivery.
 */
export class WebhookConfigurationError extends WebhookError<'invalid_configuration'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_configuration', message, options);
  }
}
