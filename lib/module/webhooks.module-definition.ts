import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { WebhooksModuleExtras, WebhooksModuleOptions } from './webhooks.options.js';
import { DEFAULT_WEBHOOKS_PATH } from './webhooks.options.js';
import { createWebhooksController } from './webhooks.controller.js';
import { WEBHOOKS_MODULE_OPTIONS, WEBHOOKS_ROUTE_PATH } from './webhooks.constants.js';

export const {
  ConfigurableModuleClass: ConfigurableWebhooksModule,
  OPTIONS_TYPE: WEBHOOKS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: WEBHOOKS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<WebhooksModuleOptions>({ optionsInjectionToken: WEBHOOKS_MODULE_OPTIONS })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createWebhooksOptions')
  .setExtras<WebhooksModuleExtras>(
    { path: DEFAULT_WEBHOOKS_PATH, isGlobal: true, routeMetadata: {} },
    (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
      providers: [...(definition.providers ?? []), { provide: WEBHOOKS_ROUTE_PATH, useValue: extras.path }],
      controllers: [...(definition.controllers ?? []), createWebhooksController(extras.path, extras.routeMetadata)],
    }),
  )
  .build();
