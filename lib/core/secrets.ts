import { WebhookConfigurationError } from './webhook-configuration.error.js';

/** One secret, or several while rotating: a delivery is valid if any matches. */
export type WebhookSecret = string | readonly string[];

/** A secret setting as a list; rejects empty and non-string entries. */
export function secretList(secret: WebhookSecret | undefined, owner: string): string[] {
  if (secret === undefined) return [];
  const list = typeof secret === 'string' ? [secret] : [...secret];
  for (const entry of list) {
    if (typeof entry !== 'string' || entry.length === 0) {
      throw new WebhookConfigurationError(`${owner}: every secret must be a non-empty string.`);
    }
  }
  return list;
}
