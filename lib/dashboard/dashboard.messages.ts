/** The logger context of every line the dashboard writes. */
export const DASHBOARD_LOGGER_CONTEXT = 'WebhooksDashboard';

/** Every text the dashboard throws or logs, in one place. */
export const dashboardMessages = {
  noAuthorize: (path: string): string =>
    `The webhooks dashboard at /${path} has no "authorize": it shows what your senders sent and can replay ` +
    'deliveries, so it is never served unprotected. Add authorize: (request) => boolean | Promise<boolean> ' +
    'to WebhooksDashboardModule.forRoot (or return it from the forRootAsync factory), e.g. a check of your session or of a token.',
  pathMoved: (path: string, other: string): string =>
    `The webhooks dashboard's path is fixed where the module is imported (/${path}); ` +
    `the async options cannot move it to "${other}". Give path beside useFactory only: ` +
    "WebhooksDashboardModule.forRootAsync({ path: 'admin/webhooks', useFactory }).",
  badPath: (path: string): string =>
    `The webhooks dashboard's path must be one or more segments of letters, digits, "_", "-", "." and "~" (got "${path}").`,
  pathClashes: (path: string, source: string): string =>
    `The webhooks dashboard at /${path} would take requests meant for the webhook source "${source}" ` +
    '(POST and GET /<webhooks path>/:source[/:tenant]): move it to a segment that starts with "_" (reserved; ' +
    'no source name may), e.g. "webhooks/_dashboard".',
  badMaxEntries: (value: unknown): string =>
    `The webhooks dashboard's maxEntries must be a positive integer (got ${String(value)}).`,
  badStore: (): string =>
    "The webhooks dashboard's store must be 'memory' or { redis: connection } (a Redis URL or ioredis options).",
  noWebhooksModule: (): string =>
    'WebhooksDashboardModule shows what WebhooksModule received: import WebhooksModule.forRoot(...) (or forRootAsync) ' +
    'in the application too, global (its default, isGlobal: true), so the dashboard can reach WebhookEvents and WebhookDeliveries.',
  notStarted: (): string =>
    'The webhooks dashboard is read before its module has started (onModuleInit): wait for app.init() or app.listen().',
  // The class only: an authorize error's message may quote the credential it was checking.
  authorizeThrew: (error: unknown): string =>
    `webhooks dashboard: authorize threw ${error instanceof Error ? error.name : typeof error}; the request was refused with 401`,
  // The class only: the error comes from code that holds the delivery's unmasked headers.
  recordingFailed: (error: unknown): string =>
    `webhooks dashboard: recording a delivery failed with ${error instanceof Error ? error.name : typeof error} ` +
    '(the delivery itself is not affected; this is logged once)',
  storeFailing: (error: unknown): string =>
    `webhooks dashboard: recording to Redis failed (deliveries are not affected; the dashboard misses them until Redis answers): ${
      error instanceof Error ? error.message : String(error)
    }`,
};
