import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { WebhookConfigurationError, WebhookRoutingError } from '../core/errors/index.js';
import {
  credentialWarning,
  invalidSourceName,
  invalidTenant,
  methodNotAllowed,
  missingProvider,
  optionInvalid,
  sourceConfigurationError,
  sourcesMissing,
  unknownSource,
} from '../core/errors/webhook.messages.js';
import type { WebhookHeaders } from '../core/headers.js';
import { findWebhookProvider, registeredProviderNames, resolveProvider } from '../core/provider-registry.js';
import { secretList } from '../core/secrets.js';
import type { WebhookMethod, WebhookProvider } from '../core/webhook-provider.js';
import { checkTolerance, DEFAULT_TOLERANCE_SECONDS, WebhookVerifier } from '../core/webhook-verifier.js';
import { TenantSecretCache, type SourceVerifier } from './tenant-secret-cache.js';
import { SELF_CHECK_SOURCE, WEBHOOKS_LOGGER_CONTEXT, WEBHOOKS_MODULE_OPTIONS } from './webhooks.constants.js';
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_SECRET_CACHE_SECONDS,
  DEFAULT_SECRET_RESOLVER_CONCURRENCY,
  type WebhookSourceOptions,
  type WebhooksModuleOptions,
} from './webhooks.options.js';

/** A configured source, ready to verify and sign. */
export interface WebhookSource {
  /** The name in the route and in `@WebhookHandler()`. */
  readonly name: string;
  /** The sender. */
  readonly provider: WebhookProvider;
  /** The replay window in seconds; 0 when off. */
  readonly toleranceSeconds: number;
  /** The exact URL registered at the sender, when configured (senders that sign the URL). */
  readonly url: string | undefined;
  /** The verifier of fixed secrets; `undefined` when a resolver gives them per delivery. */
  readonly fixedVerifier: WebhookVerifier | undefined;
  /** The verifier for one delivery: the fixed one, or the tenant's from the resolver (cached). */
  verifierFor(tenant: string | undefined, headers: WebhookHeaders): SourceVerifier | Promise<SourceVerifier>;
}

const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** A tenant route segment: plain characters only, so it is safe in store keys, logs and metrics labels. */
const TENANT = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

/** The configured sources, checked once at start-up. */
@Injectable()
export class WebhookSources implements OnModuleInit {
  /** Largest body accepted, in bytes. */
  readonly maxBodyBytes: number;
  private readonly sources = new Map<string, WebhookSource>();
  private readonly warnings: string[] = [];
  private readonly secretCacheSeconds: number;
  private readonly resolverConcurrency: number;
  private selfCheckSource?: WebhookSource;

  constructor(@Inject(WEBHOOKS_MODULE_OPTIONS) options: WebhooksModuleOptions) {
    this.maxBodyBytes = positiveInteger(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, 'maxBodyBytes');
    if (typeof options.sources !== 'object' || options.sources === null) {
      throw new WebhookConfigurationError(sourcesMissing());
    }
    this.secretCacheSeconds = options.secretCacheSeconds ?? DEFAULT_SECRET_CACHE_SECONDS;
    if (!Number.isFinite(this.secretCacheSeconds) || this.secretCacheSeconds < 0) {
      throw new WebhookConfigurationError(optionInvalid('secretCacheSeconds', 'a non-negative number of seconds'));
    }
    this.resolverConcurrency = positiveInteger(
      options.secretResolverConcurrency ?? DEFAULT_SECRET_RESOLVER_CONCURRENCY,
      'secretResolverConcurrency',
    );
    for (const [name, sourceOptions] of Object.entries(options.sources)) {
      this.sources.set(name, this.configure(name, sourceOptions, options.toleranceSeconds));
    }
  }

  /** Logged once the application's logger is in place, not while the module is being built. */
  onModuleInit(): void {
    const logger = new Logger(WEBHOOKS_LOGGER_CONTEXT);
    for (const warning of this.warnings) logger.warn(warning);
  }

  /** Every configured source's name. */
  names(): string[] {
    return [...this.sources.keys()];
  }

  /** Every configured source. */
  all(): WebhookSource[] {
    return [...this.sources.values()];
  }

  /** The source, or `undefined`. */
  find(name: string): WebhookSource | undefined {
    return this.sources.get(name);
  }

  /** Serves the self-check's own source while a check runs; `undefined` takes it away again. */
  serveSelfCheck(source: WebhookSource | undefined): void {
    this.selfCheckSource = source;
  }

  /** Whether a self-check is running (its requests are then not recorded). */
  get selfCheckRunning(): boolean {
    return this.selfCheckSource !== undefined;
  }

  /** The source a request names, accepting only the methods its sender uses and well-formed tenants. */
  route(name: string, method: string, tenant?: string): WebhookSource {
    const source = name === SELF_CHECK_SOURCE ? this.selfCheckSource : this.sources.get(name);
    if (!source) throw new WebhookRoutingError('unknown_source', unknownSource(name));
    if (!source.provider.methods.includes(method as WebhookMethod)) {
      throw new WebhookRoutingError('method_not_allowed', methodNotAllowed(source.provider.name, method));
    }
    if (tenant !== undefined && !TENANT.test(tenant)) {
      throw new WebhookRoutingError('unknown_tenant', invalidTenant(tenant));
    }
    return source;
  }

  private configure(name: string, options: WebhookSourceOptions, moduleTolerance: number | undefined): WebhookSource {
    if (!SOURCE_NAME.test(name)) throw new WebhookConfigurationError(invalidSourceName(name));
    const providerRef = options.provider ?? findWebhookProvider(name);
    if (!providerRef) throw new WebhookConfigurationError(missingProvider(name, registeredProviderNames()));
    try {
      const provider = resolveProvider(providerRef);
      const toleranceSeconds = checkTolerance(
        options.toleranceSeconds ?? moduleTolerance ?? provider.defaultToleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
      );
      const url = options.url === undefined ? undefined : checkedUrl(options.url);
      const { secret, token } = options;
      if (typeof secret === 'function') {
        const resolved = new TenantSecretCache({
          source: name,
          provider,
          resolver: secret,
          token,
          toleranceSeconds,
          cacheSeconds: this.secretCacheSeconds,
          maxConcurrentLookups: this.resolverConcurrency,
          warn: (line) => new Logger(WEBHOOKS_LOGGER_CONTEXT).warn(line),
        });
        const verifierFor = (tenant: string | undefined, headers: WebhookHeaders) =>
          resolved.verifierFor(tenant, headers);
        return { name, provider, toleranceSeconds, url, fixedVerifier: undefined, verifierFor };
      }
      const verifier = new WebhookVerifier({ provider, secret, token, toleranceSeconds });
      for (const warning of provider.credentialWarnings?.({ secrets: secretList(secret, name), token }) ?? []) {
        this.warnings.push(credentialWarning(name, warning));
      }
      // A fixed secret proves no tenant: its tenant segments share one de-duplication scope.
      const untenanted: SourceVerifier = { verifier, tenant: undefined, scope: undefined };
      const verifierFor = (tenant: string | undefined): SourceVerifier =>
        tenant === undefined ? untenanted : { verifier, tenant, scope: undefined };
      return { name, provider, toleranceSeconds, url, fixedVerifier: verifier, verifierFor };
    } catch (error) {
      if (error instanceof WebhookConfigurationError) {
        throw new WebhookConfigurationError(sourceConfigurationError(name, error.message));
      }
      throw error;
    }
  }
}

function positiveInteger(value: number, option: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new WebhookConfigurationError(optionInvalid(option, 'a positive whole number'));
  }
  return value;
}

function checkedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return url;
  } catch {
    // Reported below.
  }
  throw new WebhookConfigurationError(optionInvalid('url', 'an absolute http(s) URL'));
}
