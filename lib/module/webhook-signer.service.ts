import { Injectable } from '@nestjs/common';
import type { WebhookSecret } from '../core/secrets.js';
import { WebhookConfigurationError } from '../core/errors/index.js';
import { signerResolverSource, signerUnknownSource } from '../core/errors/webhook.messages.js';
import type { SignedWebhook } from '../core/webhook-provider.js';
import { WebhookVerifier, type WebhookSignOptions } from '../core/webhook-verifier.js';
import { WebhookSources, type WebhookSource } from './webhook-sources.js';

/**
 * A signed delivery ready to send. `body` is text for JSON and text bodies (so
 * supertest sends it as is: it re-serialises a Buffer sent as JSON) and a Buffer
 * for binary ones such as multipart; either way its bytes are exactly those signed.
 */
export interface SignedWebhookRequest {
  /** Lower-case header names and their values, content-type included. */
  readonly headers: Record<string, string>;
  /** The body, as text when it is JSON or text, as bytes otherwise. */
  readonly body: string | Buffer;
}

/** Options of {@link WebhookSigner.sign}. */
export interface WebhookSignerOptions extends Omit<WebhookSignOptions, 'payload'> {
  /** Sign with this secret instead of the source's first one (e.g. a `whsk_` key, or a wrong one on purpose). */
  readonly secret?: WebhookSecret;
}

/**
 * Signs deliveries for a configured source exactly as its sender would, for tests
 * and local tools.
 *
 * @example
 * ```ts
 * const { headers, body } = app.get(WebhookSigner).sign('usersnap', feedback);
 * await request(app.getHttpServer()).post('/webhooks/usersnap').set(headers).send(body).expect(200);
 * ```
 */
@Injectable()
export class WebhookSigner {
  constructor(private readonly sources: WebhookSources) {}

  /**
   * Headers (content-type included) and body, ready for supertest or `fetch`. A source
   * whose secrets come from a resolver needs `options.secret`, or {@link signForTenant}.
   */
  sign(source: string, payload?: unknown, options: WebhookSignerOptions = {}): SignedWebhookRequest {
    const configured = this.configured(source);
    const { secret, ...signOptions } = options;
    const verifier =
      secret === undefined ? configured.fixedVerifier : new WebhookVerifier({ provider: configured.provider, secret });
    if (!verifier) {
      throw new WebhookConfigurationError(signerResolverSource(source));
    }
    return forSending(verifier.sign({ ...signOptions, payload }));
  }

  /**
   * Signs with the secrets the source's resolver gives for `tenant` (its fixed secrets
   * when it has no resolver): what `POST /webhooks/<source>/<tenant>` will accept.
   */
  async signForTenant(
    source: string,
    tenant: string | undefined,
    payload?: unknown,
    options: WebhookSignerOptions = {},
  ): Promise<SignedWebhookRequest> {
    if (options.secret !== undefined) return this.sign(source, payload, options);
    const { verifier } = await this.configured(source).verifierFor(tenant, {});
    return forSending(verifier.sign({ ...options, payload }));
  }

  private configured(source: string): WebhookSource {
    const configured = this.sources.find(source);
    if (!configured) {
      throw new WebhookConfigurationError(signerUnknownSource(source));
    }
    return configured;
  }
}

function forSending({ headers, body }: SignedWebhook): SignedWebhookRequest {
  const mediaType = (headers['content-type'] ?? '').split(';', 1)[0]!.trim();
  const textual = /^(application\/([\w.+-]*\+)?json|text\/[\w.+-]+)$/i.test(mediaType);
  if (!textual) return { headers, body };
  const text = body.toString('utf8');
  // Only when the text is exactly the signed bytes (valid UTF-8).
  return Buffer.byteLength(text, 'utf8') === body.length && Buffer.from(text, 'utf8').equals(body)
    ? { headers, body: text }
    : { headers, body };
}
