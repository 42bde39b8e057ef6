import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { WebhookHeaders } from '../core/headers.js';
import { secretList } from '../core/secrets.js';
import { WebhookConfigurationError } from '../core/webhook-configuration.error.js';
import type { WebhookMethod, WebhookProvider } from '../core/webhook-provider.js';
import { checkTolerance, DEFAULT_TOLERANCE_SECONDS, WebhookVerifier } from '../core/webhook-verifier.js';
import { BUILT_IN_PROVIDERS, builtInProvider, resolveProvider } from '../providers/index.js';
import { ResolvedVerifiers } from './resolved-verifiers.js';
import { SELF_CHECK_SOURCE, WEBHOOKS_LOGGER_CONTEXT, WEBHOOKS_MODULE_OPTIONS } from './webhooks.constants.js';
import { WebhookRoutingError } from './webhooks.errors.js';
import {
  credentialWarning,
  invalidSourceName,
  missingProvider,
  requestValue,
  sourceConfigurationError,
} from './webhooks.messages.js';
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_SECRET_CACHE_SECONDS,
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
  /** The verifier of fixed secrets; `undefined` when a resolver gives them per delivery. */
  readonly fixedVerifier: WebhookVerifier | undefined;
  /** The verifier for one delivery: the fixed one, or the tenant's from the resolver (cached). */
  verifierFor(tenant: string | undefined, headers: WebhookHeaders): WebhookVerifier | Promise<WebhookVerifier>;
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
  private selfCheckSource?: WebhookSource;

  constructor(@Inject(WEBHOOKS_MODULE_OPTIONS) options: WebhooksModuleOptions) {
    this.maxBodyBytes = checkMaxBodyBytes(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
    if (typeof options.sources !== 'object' || options.sources === null) {
      throw new WebhookConfigurationError('WebhooksModule options need "sources": the senders to receive from.');
    }
    this.secretCacheSeconds = checkCacheSeconds(options.secretCacheSeconds ?? DEFAULT_SECRET_CACHE_SECONDS);
    const defaultTolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
    for (const [name, sourceOptions] of Object.entries(options.sources)) {
      this.sources.set(name, this.configure(name, sourceOptions, defaultTolerance));
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

  /** The source, or `undefined`. */
  find(name: string): WebhookSource | undefined {
    return this.sources.get(name);
  }

  /** Serves the self-check's own source while a check runs; `undefined` takes it away again. */
  serveSelfCheck(source: WebhookSource | undefined): void {
    this.selfCheckSource = source;
  }

  /** Whether a self-check is running (its requests are then not logged as rejections). */
  get selfCheckRunning(): boolean {
    return this.selfCheckSource !== undefined;
  }

  /** The source a request names, accepting only the methods its sender uses and well-formed tenants. */
  route(name: string | undefined, method: string, tenant?: string): WebhookSource {
    const source =
      name === SELF_CHECK_SOURCE ? this.selfCheckSource : name === undefined ? undefined : this.sources.get(name);
    if (!source) {
      throw new WebhookRoutingError(
        'unknown_source',
        `No webhook source is configured as ${requestValue(name ?? '')}.`,
      );
    }
    if (!source.provider.methods.includes(method as WebhookMethod)) {
      throw new WebhookRoutingError('method_not_allowed', `${source.provider.name} does not deliver with ${method}.`);
    }
    if (tenant !== undefined && !TENANT.test(tenant)) {
      throw new WebhookRoutingError('unknown_tenant', `${requestValue(tenant)} is not a valid tenant.`);
    }
    return source;
  }

  private configure(name: string, options: WebhookSourceOptions, defaultTolerance: number): WebhookSource {
    if (!SOURCE_NAME.test(name)) throw new WebhookConfigurationError(invalidSourceName(name));
    const providerRef = options.provider ?? builtInProvider(name);
    if (!providerRef) throw new WebhookConfigurationError(missingProvider(name, Object.keys(BUILT_IN_PROVIDERS)));
    try {
      const provider = resolveProvider(providerRef);
      const toleranceSeconds = options.toleranceSeconds ?? defaultTolerance;
      const { secret, token } = options;
      if (typeof secret === 'function') {
        const resolved = new ResolvedVerifiers({
          source: name,
          provider,
          resolver: secret,
          token,
          toleranceSeconds,
          cacheSeconds: this.secretCacheSeconds,
        });
        // Checked now, as a fixed verifier's is, so a bad window fails start-up rather than every delivery.
        checkTolerance(toleranceSeconds);
        return {
          name,
          provider,
          toleranceSeconds,
          fixedVerifier: undefined,
          verifierFor: (tenant, headers) => resolved.verifierFor(tenant, headers),
        };
      }
      const verifier = new WebhookVerifier({ provider, secret, token, toleranceSeconds });
      for (const warning of provider.credentialWarnings?.({ secrets: secretList(secret, name), token }) ?? []) {
        this.warnings.push(credentialWarning(name, warning));
      }
      return { name, provider, toleranceSeconds, fixedVerifier: verifier, verifierFor: () => verifier };
    } catch (error) {
      if (error instanceof WebhookConfigurationError) {
        throw new WebhookConfigurationError(sourceConfigurationError(name, error.message));
      }
      throw error;
    }
  }
}

function checkCacheSeconds(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new WebhookConfigurationError('secretCacheSeconds must be a non-negative number of seconds (0: not cached).');
  }
  return seconds;
}

function checkMaxBodyBytes(bytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new WebhookConfigurationError('maxBodyBytes must be a positive whole number of bytes.');
  }
  return bytes;
}
