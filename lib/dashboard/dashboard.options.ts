import type { IncomingHttpHeaders } from 'node:http';

/**
 * What {@link WebhookDashboardOptions.authorize} is given: the platform's own request
 * (Express `Request` or Fastify `FastifyRequest`), of which every platform has the headers.
 * Declare your parameter with your platform's type: `authorize: (request: Request) => ...`.
 */
export interface WebhookDashboardRequest {
  readonly headers: IncomingHttpHeaders;
}

/** `forRoot({ dashboard })`: the deliveries dashboard, off unless configured. */
export interface WebhookDashboardOptions {
  /**
   * Where the dashboard is served. Default `'<path>/_dashboard'` (`webhooks/_dashboard`).
   * Under the webhook path its segment must start with `_`, which no source name may.
   * In `forRootAsync` it is given beside `useFactory`, because it shapes the routes.
   */
  readonly path?: string;
  /**
   * Decides whether a request may see the dashboard; required. Runs first on every
   * dashboard route; a refused request (false, or a throw) gets 401 and nothing else.
   * Method syntax: a function typed for your platform's request fits.
   */
  authorize?(request: WebhookDashboardRequest): boolean | Promise<boolean>;
  /** Show raw bodies (the first 64 KiB of each). Default `false`: bodies are not even kept. */
  readonly showBodies?: boolean;
  /** How many recent deliveries are kept (default 1000). */
  readonly maxEntries?: number;
  /**
   * The key of the replay forms' anti-forgery tokens. Default: a random key per process;
   * set it when several instances serve the dashboard behind a load balancer without sticky sessions.
   */
  readonly csrfSecret?: string;
}

/** The default number of recent deliveries kept. */
export const DEFAULT_DASHBOARD_MAX_ENTRIES = 1000;

/** The default dashboard segment under the webhook path. */
export const DEFAULT_DASHBOARD_SEGMENT = '_dashboard';
