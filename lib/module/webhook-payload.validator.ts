import type { Type } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { WebhookPayloadError } from '../core/errors/index.js';
import { payloadInvalid, payloadNotObject, payloadNotObjectDetail } from '../core/errors/webhook.messages.js';

/**
 * Builds the payload into its DTO with class-transformer and checks it with
 * class-validator. Unknown properties are stripped from the DTO (whitelist) but are
 * never an error: senders add fields without notice.
 */
export async function toValidatedDto(dto: Type<object>, payload: unknown): Promise<object> {
  // A delivery without a body (a ShopSurvey GET) is an empty object to its DTO.
  if (payload === undefined) payload = {};
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload) || Buffer.isBuffer(payload)) {
    throw new WebhookPayloadError('invalid_payload', payloadNotObject(dto.name), [payloadNotObjectDetail(dto.name)]);
  }
  const instance = plainToInstance(dto, payload);
  const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: false, forbidUnknownValues: false });
  if (errors.length > 0) {
    throw new WebhookPayloadError('invalid_payload', payloadInvalid(dto.name), flatten(errors));
  }
  return instance;
}

/** class-validator's error tree as one line per failed constraint, with its property path. */
function flatten(errors: readonly ValidationError[], parentPath = ''): string[] {
  return errors.flatMap((error) => {
    const path = parentPath ? `${parentPath}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      parentPath ? `${parentPath}.${message}` : message,
    );
    return [...own, ...flatten(error.children ?? [], path)];
  });
}
