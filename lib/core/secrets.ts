import { WebhookConfigurationError } from './errors/index.js';
import { secretEntryInvalid, secretNotAfterInvalid } from './errors/webhook.messages.js';

/**
 * A secret that stops being accepted at a set time: the old secret of a rotation,
 * kept only until every sender has moved to the new one.
 */
export interface ExpiringWebhookSecret {
  /** The secret itself. */
  readonly value: string;
  /**
   * From this moment on, deliveries signed with it are refused (and it is never used to sign):
   * a `Date`, or an ISO 8601 string such as a resolver reading JSON gets.
   */
  readonly notAfter: Date | string;
}

/** One secret, as a string or with an end date. */
export type WebhookSecretEntry = string | ExpiringWebhookSecret;

/** One secret, or several while rotating: a delivery is valid if any of those still in force matches. */
export type WebhookSecret = WebhookSecretEntry | readonly WebhookSecretEntry[];

/** A checked secret: its value and when it ends (`Infinity` when never). */
export interface CheckedSecret {
  readonly value: string;
  readonly notAfterMs: number;
}

/** A secret setting as a checked list; rejects empty values and invalid dates. */
export function checkedSecrets(secret: WebhookSecret | undefined, owner: string): CheckedSecret[] {
  if (secret === undefined) return [];
  const entries: readonly WebhookSecretEntry[] = isSecretList(secret) ? secret : [secret];
  return entries.map((entry) => checkEntry(entry, owner));
}

/** The values of the secrets still in force at `nowMs`, in their configured order. */
export function secretsInForce(secrets: readonly CheckedSecret[], nowMs: number): string[] {
  return secrets.filter((secret) => nowMs < secret.notAfterMs).map((secret) => secret.value);
}

/** A secret setting as a list of values, end dates ignored (for checks made once at start-up). */
export function secretList(secret: WebhookSecret | undefined, owner: string): string[] {
  return checkedSecrets(secret, owner).map((entry) => entry.value);
}

function isSecretList(secret: WebhookSecret): secret is readonly WebhookSecretEntry[] {
  return Array.isArray(secret);
}

function checkEntry(entry: WebhookSecretEntry, owner: string): CheckedSecret {
  if (typeof entry === 'string' && entry.length > 0) return { value: entry, notAfterMs: Infinity };
  if (typeof entry === 'object' && entry !== null && typeof entry.value === 'string' && entry.value.length > 0) {
    const { notAfter } = entry;
    const notAfterMs =
      notAfter instanceof Date ? notAfter.getTime() : typeof notAfter === 'string' ? Date.parse(notAfter) : NaN;
    if (Number.isNaN(notAfterMs)) {
      throw new WebhookConfigurationError(secretNotAfterInvalid(owner));
    }
    return { value: entry.value, notAfterMs };
  }
  throw new WebhookConfigurationError(secretEntryInvalid(owner));
}
