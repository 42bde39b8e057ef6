import type { IncomingHttpHeaders } from 'node:http';
import type { ConfigurableModuleAsyncOptions } from '@nestjs/common';
import type { RedisConnection } from '../deliveries/redis-connection.options.js';

/**
 * What {@link WebhooksDashboardModuleOptions.authorize} is given: the platform's own request
 * (Express `Request` or Fastify `FastifyRequest`), of which every platform has the headers.
 * Declare your parameter with your platform's type: `authorize: (request: Request) => ...`.
 */
export interface WebhookDashboardRequest {
  readonly headers: IncomingHttpHeaders;
}

/**
 * Where the dashboard keeps recent deliveries and its per-minute counters: `'memory'` (the
 * default: this process only), or Redis, so that every instance of the app records into, and
 * shows, the same history.
 */
export type DashboardStoreOption = 'memory' | { readonly redis: RedisConnection };

/**
 * `WebhooksDashboardModule.forRoot(options)`, and what a `forRootAsync` factory returns.
 *
 * @example
 * ```ts
 * WebhooksDashboardModule.forRoot({
 *   authorize: (request) => request.headers.authorization === `Bearer ${process.env.DASHBOARD_TOKEN}`,
 * });
 * ```
 */
export interface WebhooksDashboardModuleOptions {
  /**
   * Where the dashboard is served (default `webhooks/_dashboard`). Fixed where the module is
   * imported, because it shapes the routes: in `forRootAsync` it is given beside `useFactory`,
   * and a factory may not move it. Under the webhook path its segment must start with `_`,
   * which no source name may; a path whose last two segments name a source is refused.
   */
  readonly path?: string;
  /**
   * Decides whether a request may see the dashboard; required (start-up fails without it).
   * Runs first on every dashboard route; a refused request (false, or a throw) gets a bare
   * 401. Method syntax: a function typed for your platform's request fits.
   */
  authorize(request: WebhookDashboardRequest): boolean | Promise<boolean>;
  /** Show raw bodies (the first 64 KiB of each). Default `false`: bodies are not even kept. */
  readonly showBodies?: boolean;
  /**
   * How many recent attempts are kept (default 1000), twice over: that many of those that
   * passed verification, and that many of the requests refused before it (which anyone can
   * send), so a flood of forged or misdirected requests never pushes a verified delivery out.
   */
  readonly maxEntries?: number;
  /**
   * The key of the replay forms' anti-forgery tokens. Default: a random key per process;
   * set it when several instances serve the dashboard behind a load balancer without sticky sessions.
   */
  readonly csrfSecret?: string;
  /** Where recent deliveries are kept: `'memory'` (default) or `{ redis: connection }`, shared by every instance. */
  readonly store?: DashboardStoreOption;
}

/** What shapes the dashboard's routes, so is fixed where the module is imported: in `forRootAsync`, given beside `useFactory`. */
export interface WebhooksDashboardModuleExtras {
  /** See {@link WebhooksDashboardModuleOptions.path}. */
  readonly path: string;
}

/** A class that `forRootAsync({ useClass })` or `useExisting` asks for the options. */
export interface WebhooksDashboardOptionsFactory {
  createDashboardOptions(): WebhooksDashboardModuleOptions | Promise<WebhooksDashboardModuleOptions>;
}

/**
 * `WebhooksDashboardModule.forRootAsync(...)`: the options from a factory (or a class), for an
 * `authorize` that needs a service; `path`, beside it, is fixed at import.
 *
 * @example
 * ```ts
 * WebhooksDashboardModule.forRootAsync({
 *   path: 'admin/webhooks',
 *   imports: [AuthModule],
 *   inject: [AuthService],
 *   useFactory: (auth: AuthService) => ({ authorize: (req: Request) => auth.isAdmin(req) }),
 * });
 * ```
 */
export type WebhooksDashboardModuleAsyncOptions = ConfigurableModuleAsyncOptions<
  WebhooksDashboardModuleOptions,
  'createDashboardOptions'
> &
  Partial<WebhooksDashboardModuleExtras>;

/** The default number of recent attempts kept (of each kind: verified, and refused before verification). */
export const DEFAULT_DASHBOARD_MAX_ENTRIES = 1000;

/** The default dashboard path: a reserved segment under the module's default webhook path. */
export const DEFAULT_DASHBOARD_PATH = 'webhooks/_dashboard';
