/** Every text the dashboard throws or logs, in one place. */
export const dashboardMessages = {
  noAuthorize: (path: string): string =>
    `The webhooks dashboard at /${path} has no "authorize": it shows what your senders sent and can replay ` +
    'deliveries, so it is never served unprotected. Add dashboard.authorize: (request) => boolean | Promise<boolean>, ' +
    'e.g. a check of your session or of a token.',
  pathMoved: (path: string, other: string): string =>
    `The webhooks dashboard's path is fixed where the module is imported (/${path}); ` +
    `the async options cannot move it to "${other}". Give dashboard.path beside useFactory only.`,
  pathClashes: (path: string, webhooksPath: string): string =>
    `The webhooks dashboard at /${path} lies under the webhook route /${webhooksPath}/:source, where its ` +
    'segment would be taken for a source name: start that segment with "_" (reserved), e.g. "_dashboard".',
  badMaxEntries: (value: number): string => `dashboard.maxEntries must be a positive integer (got ${String(value)}).`,
  unrouted: (): string =>
    'The async options enable the webhooks dashboard, but forRootAsync was not told where to serve it: ' +
    'routes are fixed before the factory runs. Add dashboard: { path } beside useFactory: ' +
    "WebhooksModule.forRootAsync({ dashboard: { path: 'webhooks/_dashboard' }, useFactory }).",
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
