import { createHash } from 'node:crypto';
import { WebhookConfigurationError, WebhookRoutingError, WebhookSecretResolutionError } from '../core/errors/index.js';
import {
  optionInvalid,
  resolverAnswerUnusable,
  resolverBusy,
  resolverFailed,
  tenantCredentialWarning,
  unknownTenant,
} from '../core/errors/webhook.messages.js';
import type { WebhookHeaders } from '../core/headers.js';
import { checkedSecrets, type WebhookSecret } from '../core/secrets.js';
import type { WebhookProvider } from '../core/webhook-provider.js';
import { WebhookVerifier } from '../core/webhook-verifier.js';
import type { ResolvedWebhookSecrets, WebhookSecretResolver } from './webhooks.options.js';

/** The verifier of one delivery, and the identity that scopes its de-duplication. */
export interface SourceVerifier {
  readonly verifier: WebhookVerifier;
  /** The canonical tenant the resolver named, else the route's tenant segment. */
  readonly tenant: string | undefined;
  /** See `VerifiedAttempt.scope`. */
  readonly scope: string | undefined;
}

/** What a source whose secrets come from a resolver is configured with. */
export interface TenantSecretCacheSettings {
  readonly source: string;
  readonly provider: WebhookProvider;
  readonly resolver: WebhookSecretResolver;
  readonly token: string | undefined;
  readonly toleranceSeconds: number;
  /** 0: every delivery asks the resolver (concurrent ones still share one lookup). */
  readonly cacheSeconds: number;
  /** Lookups in flight at most; further deliveries are answered 503 `secret_resolver_busy`. */
  readonly maxConcurrentLookups: number;
  /** Tenants remembered at most, so a flood of made-up tenants cannot grow memory without bound. */
  readonly maxEntries?: number;
  /** Where warnings about weak or likely mistaken secrets a resolver answered go (once per tenant). */
  readonly warn?: (line: string) => void;
}

interface CachedVerifier {
  readonly expiresAtMs: number;
  readonly verifier: Promise<SourceVerifier | undefined>;
}

const DEFAULT_MAX_ENTRIES = 10_000;

function remember(cache: Map<string, CachedVerifier>, key: string, entry: CachedVerifier, limit: number): void {
  cache.delete(key);
  if (cache.size >= limit) cache.delete(cache.keys().next().value!);
  cache.set(key, entry);
}

/**
 * A source's verifiers when its secrets are looked up per delivery: one per tenant, built
 * from what the resolver answers and reused for `cacheSeconds`. Concurrent deliveries of one
 * tenant share a single lookup, and at most `maxConcurrentLookups` run at once. A failed
 * lookup is not cached. Known tenants and unknown ones are remembered apart, each least
 * recently used first out, so a flood of made-up tenants cannot push the real ones out.
 */
export class TenantSecretCache {
  private readonly pending = new Map<string, CachedVerifier>();
  private readonly known = new Map<string, CachedVerifier>();
  private readonly unknown = new Map<string, CachedVerifier>();
  /** Tenants already warned about (bounded like the caches), so a warning is not repeated per lookup. */
  private readonly warned = new Set<string>();

  constructor(private readonly settings: TenantSecretCacheSettings) {}

  /**
   * The verifier for a tenant's delivery.
   * @throws WebhookRoutingError `unknown_tenant` when the resolver has no secret for it.
   * @throws WebhookSecretResolutionError when the resolver fails, or too many lookups are in flight.
   */
  async verifierFor(tenant: string | undefined, headers: WebhookHeaders): Promise<SourceVerifier> {
    const verifier = await this.cached(tenant, headers).verifier;
    if (!verifier) throw new WebhookRoutingError('unknown_tenant', unknownTenant(this.settings.source, tenant));
    return verifier;
  }

  private cached(tenant: string | undefined, headers: WebhookHeaders): CachedVerifier {
    // Tenants never contain "\u0000", so the route without a tenant has a key of its own.
    const key = tenant ?? '\u0000';
    const nowMs = Date.now();
    const hit = this.fresh(this.known, key, nowMs) ?? this.fresh(this.unknown, key, nowMs) ?? this.pending.get(key);
    if (hit) return hit;
    const { maxConcurrentLookups, cacheSeconds, source } = this.settings;
    if (this.pending.size >= maxConcurrentLookups) {
      throw new WebhookSecretResolutionError('secret_resolver_busy', resolverBusy(source, maxConcurrentLookups));
    }
    const entry: CachedVerifier = { expiresAtMs: nowMs + cacheSeconds * 1000, verifier: this.resolve(tenant, headers) };
    this.pending.set(key, entry);
    entry.verifier.then(
      (verifier) => {
        this.pending.delete(key);
        if (cacheSeconds === 0) return;
        const limit = this.settings.maxEntries ?? DEFAULT_MAX_ENTRIES;
        if (verifier) remember(this.known, key, entry, limit);
        else remember(this.unknown, key, entry, Math.max(1, Math.floor(limit / 10)));
      },
      () => this.pending.delete(key),
    );
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

  private async resolve(tenant: string | undefined, headers: WebhookHeaders): Promise<SourceVerifier | undefined> {
    const { source, provider, resolver, token, toleranceSeconds } = this.settings;
    let answer: WebhookSecret | ResolvedWebhookSecrets | undefined;
    try {
      answer = await resolver({ source, tenant, headers });
    } catch (error) {
      throw new WebhookSecretResolutionError('secret_resolver_failed', resolverFailed(source, error), { cause: error });
    }
    try {
      const { secret, canonicalTenant } = unpack(answer);
      if (secret === undefined || (Array.isArray(secret) && secret.length === 0)) return undefined;
      const verifier = new WebhookVerifier({ provider, secret, token, toleranceSeconds });
      this.warnOnce(canonicalTenant ?? tenant, secret);
      return {
        verifier,
        tenant: canonicalTenant ?? tenant,
        scope: canonicalTenant !== undefined ? `t.${encodeURIComponent(canonicalTenant)}` : `s.${fingerprint(secret)}`,
      };
    } catch (error) {
      throw new WebhookSecretResolutionError('secret_resolver_failed', resolverAnswerUnusable(source, error), {
        cause: error,
      });
    }
  }

  /** The start-up warnings a fixed secret would get (a bare key, a token alone), once per tenant. */
  private warnOnce(tenant: string | undefined, secret: WebhookSecret): void {
    const { provider, token, warn, source } = this.settings;
    const key = tenant ?? '\u0000';
    if (!warn || this.warned.has(key) || this.warned.size >= (this.settings.maxEntries ?? DEFAULT_MAX_ENTRIES)) return;
    const secrets = checkedSecrets(secret, source).map((entry) => entry.value);
    const warnings = provider.credentialWarnings?.({ secrets, token }) ?? [];
    if (warnings.length === 0) return;
    this.warned.add(key);
    for (const warning of warnings) warn(tenantCredentialWarning(source, tenant, warning));
  }
}
/** A resolver's answer: plain secrets, or `{ tenant, secrets }` naming the canonical tenant. */
function unpack(answer: WebhookSecret | ResolvedWebhookSecrets | undefined | null): {
  secret: WebhookSecret | undefined;
  canonicalTenant: string | undefined;
} {
  if (answer === undefined || answer === null) return { secret: undefined, canonicalTenant: undefined };
  if (typeof answer === 'object' && !Array.isArray(answer) && 'secrets' in answer) {
    const canonical = answer.tenant;
    if (typeof canonical !== 'string' || canonical === '') {
      throw new WebhookConfigurationError(optionInvalid("a resolver's tenant", 'a non-empty string'));
    }
    return { secret: answer.secrets, canonicalTenant: canonical };
  }
  return { secret: answer as WebhookSecret, canonicalTenant: undefined };
}

/**
 * A one-way digest of the secrets a resolver answered, standing in for the identity that
 * verified a delivery when the resolver names no tenant: two spellings of one tenant that
 * resolve to the same secrets share it, so a delivery replayed under another spelling is a
 * duplicate. Never the secret itself; in order-independent form.
 */
function fingerprint(secret: WebhookSecret): string {
  const values = checkedSecrets(secret, 'resolver').map((entry) => entry.value);
  const hash = createHash('sha256').update('nestjs-signed-webhooks:tenant-scope\u0000');
  for (const value of [...values].sort()) hash.update(`${value.length}:${value}`);
  return hash.digest('hex').slice(0, 32);
}
