import type { WebhookSecret } from '../core/secrets.js';
import type { WebhookProviderRef } from '../providers/index.js';

/** One sender the application receives from. */
export interface WebhookSourceOptions {
  /**
   * The sender: a built-in name or a provider object such as `hmacProvider(...)`.
   * Default: the source's own name, when that is a built-in provider's name.
   */
  readonly provider?: WebhookProviderRef;
  /** The secret, or several while rotating (a delivery is valid if any matches). */
  readonly secret?: WebhookSecret;
  /** Survicate's verification token (checked in addition to the secret, or alone). */
  readonly token?: string;
  /** This source's replay window in seconds; overrides the module's. */
  readonly toleranceSeconds?: number;
}

/** `WebhooksModule.forRoot()` / `forRootAsync()` options. */
export interface WebhooksModuleOptions {
  /** The senders, by the name used in the route: `POST /<path>/<name>`. */
  readonly sources: Readonly<Record<string, WebhookSourceOptions>>;
  /** Replay window in seconds for every source (default 300); 0 turns it off. */
  readonly toleranceSeconds?: number;
  /** Largest body accepted, in bytes (default 5 MiB); larger bodies get 413. */
  readonly maxBodyBytes?: number;
}

/**
 * Settings fixed when the module is imported, outside the async factory, because they
 * shape the routes: given beside `useFactory` in `forRootAsync`, inside the options in `forRoot`.
 */
export interface WebhooksModuleExtras {
  /** The route prefix: the module serves `POST /<path>/:source`. Default `'webhooks'`. */
  readonly path: string;
  /** Whether the module's providers (such as `WebhookSigner`) are global. Default `true`. */
  readonly isGlobal: boolean;
}

/** Implemented by a class given to `forRootAsync({ useClass })`. */
export interface WebhooksOptionsFactory {
  /** Returns the module's options. */
  createWebhooksOptions(): WebhooksModuleOptions | Promise<WebhooksModuleOptions>;
}

/** The default `maxBodyBytes`: 5 MiB, room for a Usersnap delivery with a screenshot. */
export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;

/** The default route prefix. */
export const DEFAULT_WEBHOOKS_PATH = 'webhooks';
