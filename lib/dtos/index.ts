// The payload classes of the built-in senders, validated with class-validator.

export * from './guuru-chat.dto.js';
export * from './shopsurvey-event.dto.js';
export * from './standard-webhook-event.dto.js';
export * from './survicate-event.dto.js';
export * from './usersnap-feedback.dto.js';
