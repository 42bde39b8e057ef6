// `nestjs-signed-webhooks/core`: verify and sign webhooks from any Node code, without NestJS.
// The core and every preset; loading the presets registers them by name.
export * from '../core/index.js';
export * from '../providers/index.js';
