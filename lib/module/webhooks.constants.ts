/** Metadata key of `@WebhookHandler()` (namespaced so it cannot clash with other libraries). */
export const WEBHOOK_HANDLER_METADATA = 'nestjs-signed-webhooks:handler';

/** Metadata key of `@WebhookSource()`. */
export const WEBHOOK_SOURCE_METADATA = 'nestjs-signed-webhooks:source';

/** The logger context of every line the module writes. */
export const WEBHOOKS_LOGGER_CONTEXT = 'Webhooks';

/** Injection token of the module's options (as given to `forRoot` or returned by the async factory). */
export const WEBHOOKS_MODULE_OPTIONS = Symbol('nestjs-signed-webhooks:options');
