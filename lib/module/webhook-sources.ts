import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { secretList } from '../core/secrets.js';
import { WebhookConfigurationError } from '../core/webhook-configuration.error.js';
import type { WebhookMethod, WebhookProvider } from '../core/webhook-provider.js';
import { DEFAULT_TOLERANCE_SECONDS, WebhookVerifier } from '../core/webhook-verifier.js';
import { BUILT_IN_PROVIDERS, builtInProvider, resolveProvider } from '../providers/index.js';
import { WEBHOOKS_LOGGER_CONTEXT, WEBHOOKS_MODULE_OPTIONS } from './webhooks.constants.js';
import { WebhookRoutingError } from './webhooks.errors.js';
import {
  credentialWarning,
  invalidSourceName,
  missingProvider,
  requestValue,
  sourceConfigurationError,
} from './webhooks.messages.js';
import { DEFAULT_MAX_BODY_BYTES, type WebhookSourceOptions, type WebhooksModuleOptions } from './webhooks.options.js';

/** A configured source, ready to verify and sign. */
export interface WebhookSource {
  /** The name in the route and in `@WebhookHandler()`. */
  readonly name: string;
  /** The sender. */
  readonly provider: WebhookProvider;
  /** The sender with this source's secrets and replay window. */
  readonly verifier: WebhookVerifier;
}

const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The configured sources, checked once at start-up. */
@Injectable()
export class WebhookSources implements OnModuleInit {
  /** Largest body accepted, in bytes. */
  readonly maxBodyBytes: number;
  private readonly sources = new Map<string, WebhookSource>();
  private readonly warnings: string[] = [];

  constructor(@Inject(WEBHOOKS_MODULE_OPTIONS) options: WebhooksModuleOptions) {
    this.maxBodyBytes = checkMaxBodyBytes(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
    if (typeof options.sources !== 'object' || options.sources === null) {
      throw new WebhookConfigurationError('WebhooksModule options need "sources": the senders to receive from.');
    }
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

  /** The source a request names, accepting only the methods its sender uses. */
  route(name: string | undefined, method: string): WebhookSource {
    const source = name === undefined ? undefined : this.sources.get(name);
    if (!source) {
      throw new WebhookRoutingError(
        'unknown_source',
        `No webhook source is configured as ${requestValue(name ?? '')}.`,
      );
    }
    if (!source.provider.methods.includes(method as WebhookMethod)) {
      throw new WebhookRoutingError('method_not_allowed', `${source.provider.name} does not deliver with ${method}.`);
    }
    return source;
  }

  private configure(name: string, options: WebhookSourceOptions, defaultTolerance: number): WebhookSource {
    if (!SOURCE_NAME.test(name)) throw new WebhookConfigurationError(invalidSourceName(name));
    const providerRef = options.provider ?? builtInProvider(name);
    if (!providerRef) throw new WebhookConfigurationError(missingProvider(name, Object.keys(BUILT_IN_PROVIDERS)));
    try {
      const provider = resolveProvider(providerRef);
      const verifier = new WebhookVerifier({
        provider,
        secret: options.secret,
        token: options.token,
        toleranceSeconds: options.toleranceSeconds ?? defaultTolerance,
      });
      const credentials = { secrets: secretList(options.secret, name), token: options.token };
      for (const warning of provider.credentialWarnings?.(credentials) ?? []) {
        this.warnings.push(credentialWarning(name, warning));
      }
      return { name, provider, verifier };
    } catch (error) {
      if (error instanceof WebhookConfigurationError) {
        throw new WebhookConfigurationError(sourceConfigurationError(name, error.message));
      }
      throw error;
    }
  }
}

function checkMaxBodyBytes(bytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new WebhookConfigurationError('maxBodyBytes must be a positive whole number of bytes.');
  }
  return bytes;
}
