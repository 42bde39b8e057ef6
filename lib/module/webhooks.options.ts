import type { WebhookHeaders } from '../core/headers.js';
import type { WebhookSecret } from '../core/secrets.js';
import type { DeliveryStore } from '../deliveries/delivery-store.js';
import type { RedisConnection } from '../deliveries/redis-connection.options.js';
import type { WebhookQueueOptions } from '../deliveries/webhook-queue.js';
import type { WebhookProviderRef } from '../core/provider-registry.js';

/** One sender the application receives from. */
export interface WebhookSourceOptions {
  /**
   * The sender: a provider's name (`'stripe'`, checked at start-up) or a provider object
   * such as `hmacProvider(...)`. Default: the source's own name, when a provider has it.
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
  /** This source's replay window in seconds; overrides the module's and the sender's default. */
  readonly toleranceSeconds?: number;
  /**
   * For senders that sign the URL they call (Twilio, Square, HubSpot): the exact URL registered
   * at the sender. Without it the module rebuilds the URL from the request (`X-Forwarded-Proto`
   * and `X-Forwarded-Host` first, then the connection and `Host`), which behind a proxy that
   * rewrites paths is not the one signed.
   */
  readonly url?: string;
}

/**
 * A resolver's answer that names the tenant: `tenant` is its canonical id (the one spelling
 * that scopes de-duplication, and what handlers see as `WebhookContext.tenant`).
 */
export interface ResolvedWebhookSecrets {
  readonly tenant: string;
  readonly secrets: WebhookSecret;
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
 * Looks a source's secrets up per delivery. Its answer is cached per source and tenant for
 * `secretCacheSeconds`, and concurrent lookups of one tenant share one call. Return
 * `{ tenant, secrets }` to name the tenant's canonical id (when lookups ignore case, say), or
 * just the secrets: de-duplication is then scoped by a digest of them. Return `undefined` or
 * `[]` for a tenant you do not know (the delivery gets 404); a resolver that throws or rejects
 * gets 500 and a log line.
 */
export type WebhookSecretResolver = (
  context: WebhookSecretContext,
) => WebhookSecret | ResolvedWebhookSecrets | undefined | Promise<WebhookSecret | ResolvedWebhookSecrets | undefined>;

/**
 * The start-up self-check of raw-body capture: `'warn'` (default) logs what is wrong,
 * `'fail'` makes `app.listen()` reject, `'off'` skips it.
 */
export type WebhookSelfCheckMode = 'fail' | 'warn' | 'off';

/** `WebhooksModule.forRoot()` / `forRootAsync()` options. */
export interface WebhooksModuleOptions {
  /** The senders, by the name used in the route: `POST /<path>/<name>`. */
  readonly sources: Readonly<Record<string, WebhookSourceOptions>>;
  /**
   * Replay window in seconds for every source that sets none of its own; 0 turns it off. Default:
   * each sender's own window (300 s for most; Paddle 5 s, Linear 60 s, Calendly 180 s, Twitch 600 s).
   * Setting it here replaces those defaults for every source.
   */
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
  /** Secret lookups in flight at most, per source (default 32); beyond it deliveries get 503 `secret_resolver_busy`. */
  readonly secretResolverConcurrency?: number;
  /**
   * Refuse to start when a handler's DTO cannot be known: no `dto` option and no
   * `design:paramtypes` metadata (built without `emitDecoratorMetadata`, as tsx, esbuild and
   * Vitest without SWC do). Default `false`: such a handler gets a start-up warning.
   */
  readonly strictDtos?: boolean;
  /**
   * When the app starts listening, the module sends itself one signed delivery per body
   * kind and checks that its verifier sees exactly the bytes sent. Default `'warn'`.
   */
  readonly selfCheck?: WebhookSelfCheckMode;
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
  /**
   * The memory store's bound (default 100 000 deliveries). It forgets only deliveries that
   * could no longer be accepted (past their replay window, or `ttlSeconds` for senders
   * without a timestamp); when it holds nothing it may forget, new deliveries get 503.
   */
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

/** The default `secretResolverConcurrency`. */
export const DEFAULT_SECRET_RESOLVER_CONCURRENCY = 32;

/** The default route prefix. */
export const DEFAULT_WEBHOOKS_PATH = 'webhooks';
