import { randomBytes } from 'node:crypto';
import type { WebhookHeaders } from '../core/headers.js';
import type { IncomingWebhook } from '../core/incoming-webhook.js';
import type { VerifiedWebhook } from '../core/webhook-provider.js';
import type { WebhookSource } from './webhook-sources.js';
import type { AttemptTrace } from './webhook-tracing.service.js';

/**
 * What is known of one attempt at a delivery, where it entered: a request to a webhook
 * route, or a queue worker taking a job. Every outcome of the attempt (and its log line and
 * dashboard entry) carries its `attemptId`. The guard and the worker fill in more as they go;
 * the outcome recorder is the one place that turns it into an event.
 */
export interface DeliveryAttempt {
  /** Unique per attempt: a repeat of a delivery, or a queue retry, is another attempt. */
  readonly attemptId: string;
  /** Whether the attempt is an HTTP request or a queue worker's run of a job. */
  readonly via: 'request' | 'queue';
  /** The source name the route or job names (for an unknown source, as requested). */
  readonly sourceName: string;
  /** The configured source, once the name is known to be one. */
  readonly source?: WebhookSource;
  /** The tenant: the one the secret resolver named, else the route's tenant segment. */
  readonly tenant?: string;
  /** The request headers (masked whenever they are shown or stored). */
  readonly headers: WebhookHeaders;
  /** The body, once read. */
  readonly rawBody?: Buffer;
  /** What verification proved, once it has. */
  readonly verified?: VerifiedWebhook;
  /** How long resolving the secret and verifying took, in ms. */
  readonly verifyMs?: number;
  /** The attempt's span, when deliveries are traced (see `WebhookTracing`). */
  readonly trace?: AttemptTrace;
}

/** An attempt whose delivery is proven authentic: everything handlers and the store need. */
export interface VerifiedAttempt extends DeliveryAttempt {
  readonly source: WebhookSource;
  readonly delivery: IncomingWebhook;
  readonly rawBody: Buffer;
  readonly verified: VerifiedWebhook;
  /**
   * The identity that verified the delivery, which scopes de-duplication with the source:
   * the canonical tenant a resolver named, else a digest of the secrets it resolved;
   * `undefined` for a source with fixed secrets (its tenant segments prove nothing).
   */
  readonly scope: string | undefined;
  readonly verifyMs: number;
}

/**
 * A random prefix per process, so attempt ids of several instances never meet; with its dash,
 * so that an id is the prefix and the sequence number joined (not a new copy of the prefix too).
 */
const PROCESS_PREFIX = `${randomBytes(6).toString('base64url')}-`;
let sequence = 0;

/** A new attempt id: unique, cheap (no random bytes per attempt), and safe in logs and keys. */
export function nextAttemptId(): string {
  sequence += 1;
  return PROCESS_PREFIX + sequence.toString(36);
}
