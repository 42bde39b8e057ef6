import type { WebhookHeaders } from '../core/headers.js';
import type { WebhookSecret } from '../core/secrets.js';
import type { DeliveryStore } from '../deliveries/delivery-store.js';
import type { RedisConnection } from '../deliveries/redis-connection.options.js';
import type { WebhookQueueOptions } from '../deliveries/webhook-queue.js';
import type { WebhookProviderRef } from '../providers/index.js';
import type { WebhookDashboardOptions } from '../dashboard/dashboard.options.js';

/** One sender the application receives from. */
export interface WebhookSourceOptions {
  /**
   * The sender: a built-in name or a provider object such as `hmacProvider(...)`.
   * Default: the source's own name, when that is a built-in provider's name.
   */
  readonly provider?: WebhookProviderRef;
  /**
   * The secret, or several while rotating (a delivery is valid if any still in force
   * matches; an entry `{ value, notAfter }` ends at `notAfter`), or a function that
   * looks the secrets up per delivery, e.g. per tenant in a database or a key manager.
   */
  readonly secret?: WebhookSecret | WebhookSecretResolver;
  /** Survicate's verification token (checked in addition to the secret, or alone). */
  readonly token?: string;
  /** This source's replay window in seconds; overrides the module's. */
  readonly toleranceSeconds?: number;
}

/** What a {@link WebhookSecretResolver} is told about the delivery it resolves secrets for. */
export interface WebhookSecretContext {
  /** The configured source's name. */
  readonly source: string;
  /** The route's tenant segment (`/webhooks/:source/:tenant`); `undefined` on `/webhooks/:source`. */
  readonly tenant: string | undefined;
  /** The request headers. */
  readonly headers: WebhookHeaders;
}

/**
 * Looks a source's secrets up per delivery. Its answer is cached per source and
 * tenant for `secretCacheSeconds`. Return `undefined` or `[]` for a tenant you do not
 * know (the delivery gets 404); a resolver that throws or rejects gets 500 and a log line.
 */
export type WebhookSecretResolver = (
  context: WebhookSecretContext,
) => WebhookSecret | undefined | Promise<WebhookSecret | undefined>;

/**
 * The start-up self-check of raw-body capture: `'warn'` (default) logs what is wrong,
 * `'fail'` makes `app.listen()` reject, `'off'` skips it.
 */
export type WebhookSelfCheckMode = 'fail' | 'warn' | 'off';

/** `WebhooksModule.forRoot()` / `forRootAsync()` options. */
export interface WebhooksModuleOptions {
  /** The senders, by the name used in the route: `POST /<path>/<name>`. */
  readonly sources: Readonly<Record<string, WebhookSourceOptions>>;
  /** Replay window in seconds for every source (default 300); 0 turns it off. */
  readonly toleranceSeconds?: number;
  /** Largest body accepted, in bytes (default 5 MiB); larger bodies get 413. */
  readonly maxBodyBytes?: number;
  /** De-duplication: where deliveries are remembered so each is handled once. */
  readonly deliveries?: WebhookDeliveriesOptions;
  /**
   * `'inline'` (default): handlers run in the request, whose answer waits for them.
   * `'queue'`: a verified delivery is put on a BullMQ queue and answered 200 at once;
   * workers run the handlers with retries, and what still fails becomes a dead letter.
   */
  readonly processing?: 'inline' | 'queue';
  /** Queue-mode settings (required with `processing: 'queue'`). */
  readonly queue?: WebhookQueueOptions;
  /** How long a secret resolver's answer is reused, per source and tenant, in seconds (default 60; 0: not cached). */
  readonly secretCacheSeconds?: number;
  /**
   * When the app starts listening, the module sends itself one signed delivery per body
   * kind and checks that its verifier sees exactly the bytes sent. Default `'warn'`.
   */
  readonly selfCheck?: WebhookSelfCheckMode;
  /**
   * The deliveries dashboard, off unless given (see {@link WebhookDashboardOptions}). In
   * `forRootAsync` its `path` goes beside `useFactory`; `authorize` and the rest may come from the factory.
   */
  readonly dashboard?: WebhookDashboardOptions;
}

/** `forRoot({ deliveries })`: the de-duplication store. */
export interface WebhookDeliveriesOptions {
  /**
   * `'memory'` (default: this process only, bounded), `'redis'` (shared by every app
   * instance; needs `connection`), or your own {@link DeliveryStore}.
   */
  readonly store?: 'memory' | 'redis' | DeliveryStore;
  /** The Redis of the `'redis'` store. */
  readonly connection?: RedisConnection;
  /** How long a handled delivery is remembered, in seconds (default one day; never less than the longest replay window). */
  readonly ttlSeconds?: number;
  /** How long a claim protects a delivery being handled, in seconds (default 120), in case its process dies. */
  readonly leaseSeconds?: number;
  /** The memory store's bound (default 100 000 deliveries). */
  readonly maxEntries?: number;
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
  /**
   * Metadata attached to the built-in webhook route, as `@SetMetadata(key, value)` would,
   * so the application's own global guards can recognise it: `{ isPublic: true }`
   * lets an authentication guard that skips public routes let senders through.
   */
  readonly routeMetadata: Readonly<Record<string, unknown>>;
  /** The deliveries dashboard: in `forRootAsync`, at least `{ path }` here turns it on (its routes are fixed at import). */
  readonly dashboard: WebhookDashboardOptions | undefined;
}

/** Implemented by a class given to `forRootAsync({ useClass })`. */
export interface WebhooksOptionsFactory {
  /** Returns the module's options. */
  createWebhooksOptions(): WebhooksModuleOptions | Promise<WebhooksModuleOptions>;
}

/** The default `maxBodyBytes`: 5 MiB, room for a Usersnap delivery with a screenshot. */
export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;

/** The default `secretCacheSeconds`. */
export const DEFAULT_SECRET_CACHE_SECONDS = 60;

/** The default route prefix. */
export const DEFAULT_WEBHOOKS_PATH = 'webhooks';
