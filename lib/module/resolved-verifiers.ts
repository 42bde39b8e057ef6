import type { WebhookHeaders } from '../core/headers.js';
import type { WebhookSecret } from '../core/secrets.js';
import type { WebhookProvider } from '../core/webhook-provider.js';
import { WebhookVerifier } from '../core/webhook-verifier.js';
import { WebhookRoutingError, WebhookSecretResolutionError } from './webhooks.errors.js';
import { requestValue } from './webhooks.messages.js';
import type { WebhookSecretResolver } from './webhooks.options.js';

/** What a source whose secrets come from a resolver is configured with. */
export interface ResolvedVerifiersSettings {
  readonly source: string;
  readonly provider: WebhookProvider;
  readonly resolver: WebhookSecretResolver;
  readonly token: string | undefined;
  readonly toleranceSeconds: number;
  /** 0: every delivery asks the resolver. */
  readonly cacheSeconds: number;
  /** Tenants remembered at most, so a flood of made-up tenants cannot grow memory without bound. */
  readonly maxEntries?: number;
}

interface CachedVerifier {
  readonly expiresAtMs: number;
  readonly verifier: Promise<WebhookVerifier | undefined>;
}

const DEFAULT_MAX_ENTRIES = 10_000;

/**
 * A source's verifiers when its secrets are looked up per delivery: one per tenant,
 * built from what the resolver answers and reused for `cacheSeconds`. Concurrent
 * deliveries of one tenant share a single lookup; a failed lookup is not cached.
 */
export class ResolvedVerifiers {
  private readonly cache = new Map<string, CachedVerifier>();

  constructor(private readonly settings: ResolvedVerifiersSettings) {}

  /**
   * The verifier for a tenant's delivery.
   * @throws WebhookRoutingError `unknown_tenant` when the resolver has no secret for it.
   * @throws WebhookSecretResolutionError when the resolver fails.
   */
  async verifierFor(tenant: string | undefined, headers: WebhookHeaders): Promise<WebhookVerifier> {
    const verifier = await this.cached(tenant, headers).verifier;
    if (!verifier) {
      throw new WebhookRoutingError(
        'unknown_tenant',
        `The secret resolver of source "${this.settings.source}" has no secret for tenant ${requestValue(tenant ?? '-')}.`,
      );
    }
    return verifier;
  }

  private cached(tenant: string | undefined, headers: WebhookHeaders): CachedVerifier {
    // Tenants never contain "\u0000", so the route without a tenant has a key of its own.
    const key = tenant ?? '\u0000';
    const nowMs = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.expiresAtMs > nowMs) return hit;
    const entry: CachedVerifier = {
      expiresAtMs: nowMs + this.settings.cacheSeconds * 1000,
      verifier: this.resolve(tenant, headers),
    };
    if (this.settings.cacheSeconds > 0) {
      this.remember(key, entry);
      entry.verifier.catch(() => {
        if (this.cache.get(key) === entry) this.cache.delete(key);
      });
    }
    return entry;
  }

  private remember(key: string, entry: CachedVerifier): void {
    this.cache.delete(key);
    if (this.cache.size >= (this.settings.maxEntries ?? DEFAULT_MAX_ENTRIES)) {
      this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(key, entry);
  }

  private async resolve(tenant: string | undefined, headers: WebhookHeaders): Promise<WebhookVerifier | undefined> {
    const { source, provider, resolver, token, toleranceSeconds } = this.settings;
    let secret: WebhookSecret | undefined;
    try {
      secret = await resolver({ source, tenant, headers });
    } catch (error) {
      throw new WebhookSecretResolutionError(`The secret resolver of source "${source}" failed: ${messageOf(error)}`, {
        cause: error,
      });
    }
    if (secret === undefined || secret === null || (Array.isArray(secret) && secret.length === 0)) return undefined;
    try {
      return new WebhookVerifier({ provider, secret, token, toleranceSeconds });
    } catch (error) {
      throw new WebhookSecretResolutionError(
        `The secret resolver of source "${source}" answered secrets its sender cannot use: ${messageOf(error)}`,
        { cause: error },
      );
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
