/** Metadata key of `@WebhookHandler()` (namespaced so it cannot clash with other libraries). */
export const WEBHOOK_HANDLER_METADATA = 'nestjs-signed-webhooks:handler';

/** Metadata key of `@WebhookSource()`. */
export const WEBHOOK_SOURCE_METADATA = 'nestjs-signed-webhooks:source';

/** The logger context of every line the module writes. */
export const WEBHOOKS_LOGGER_CONTEXT = 'Webhooks';

/** Injection token of the module's options (as given to `forRoot` or returned by the async factory). */
export const WEBHOOKS_MODULE_OPTIONS = Symbol('nestjs-signed-webhooks:options');

/**
 * The source name of the start-up self-check's own deliveries. Configured names cannot
 * start with `_`, so it never clashes with a sender.
 */
export const SELF_CHECK_SOURCE = '_self-check';

/** Whether a source name is the module's own (the self-check), never a sender's. */
export function isInternalSource(name: string | undefined): boolean {
  return name === SELF_CHECK_SOURCE;
}

/** Injection token of the built-in route's prefix (`WebhooksModule.forRoot({ path })`). */
export const WEBHOOKS_ROUTE_PATH = Symbol('nestjs-signed-webhooks:route-path');

/** A path under the webhook route as the server serves it: `/<global prefix>/<path>/<segments…>`. */
export function webhookRoutePath(globalPrefix: string, routePath: string, ...segments: string[]): string {
  return `/${[globalPrefix, routePath, ...segments]
    .map((segment) => segment.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/')}`;
}
