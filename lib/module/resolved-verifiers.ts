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

function remember(cache: Map<string, CachedVerifier>, key: string, entry: CachedVerifier, limit: number): void {
  cache.delete(key);
  if (cache.size >= limit) cache.delete(cache.keys().next().value!);
  cache.set(key, entry);
}

/**
 * A source's verifiers when its secrets are looked up per delivery: one per tenant,
 * built from what the resolver answers and reused for `cacheSeconds`. Concurrent
 * deliveries of one tenant share a single lookup; a failed lookup is not cached.
 * Known tenants and unknown ones are remembered apart, each least recently used
 * first out, so a flood of made-up tenants cannot push the real ones out.
 */
export class ResolvedVerifiers {
  private readonly pending = new Map<string, CachedVerifier>();
  private readonly known = new Map<string, CachedVerifier>();
  private readonly unknown = new Map<string, CachedVerifier>();

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
    const hit = this.fresh(this.known, key, nowMs) ?? this.fresh(this.unknown, key, nowMs) ?? this.pending.get(key);
    if (hit) return hit;
    const entry: CachedVerifier = {
      expiresAtMs: nowMs + this.settings.cacheSeconds * 1000,
      verifier: this.resolve(tenant, headers),
    };
    if (this.settings.cacheSeconds > 0) {
      this.pending.set(key, entry);
      entry.verifier.then(
        (verifier) => {
          this.pending.delete(key);
          const limit = this.settings.maxEntries ?? DEFAULT_MAX_ENTRIES;
          if (verifier) remember(this.known, key, entry, limit);
          else remember(this.unknown, key, entry, Math.max(1, Math.floor(limit / 10)));
        },
        () => this.pending.delete(key),
      );
    }
    return entry;
  }

  /** An unexpired entry, made the most recently used. */
  private fresh(cache: Map<string, CachedVerifier>, key: string, nowMs: number): CachedVerifier | undefined {
    const entry = cache.get(key);
    if (!entry) return undefined;
    cache.delete(key);
    if (entry.expiresAtMs <= nowMs) return undefined;
    cache.set(key, entry);
    return entry;
  }

  private async resolve(tenant: string | undefined, headers: WebhookHeaders): Promise<WebhookVerifier | undefined> {
    const { source, provider, resolver, token, toleranceSeconds } = this.settings;
    let secret: WebhookSecret | undefined;
    try {
      secret = await resolver({ source, tenant, headers });
    } catch (error) {
      throw new WebhookSecretResolutionError(`The secret resolver of source "${source}" failed: ${kindOf(error)}`, {
        cause: error,
      });
    }
    if (secret === undefined || secret === null || (Array.isArray(secret) && secret.length === 0)) return undefined;
    try {
      return new WebhookVerifier({ provider, secret, token, toleranceSeconds });
    } catch (error) {
      throw new WebhookSecretResolutionError(
        `The secret resolver of source "${source}" answered secrets its sender cannot use: ${kindOf(error)}`,
        { cause: error },
      );
    }
  }
}

/**
 * What failed, without the error's message: a resolver's errors can quote what it was
 * reading (Node's JSON.parse errors quote their input), and that may be the secret.
 * The whole error stays on `cause` for the application's own handling.
 */
function kindOf(error: unknown): string {
  if (!(error instanceof Error)) return 'it threw a non-Error value';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number' ? `${error.name} (code ${String(code)})` : error.name;
}
