import { IsISO8601, IsNotEmpty, IsObject, IsString } from 'class-validator';

/**
 * An event in the payload shape the Standard Webhooks specification recommends:
 * `{ "type": "contact.created", "timestamp": "2022-11-03T20:26:10.344522Z", "data": { ... } }`.
 * The shape is a convention of the specification, not part of what is signed; a sender
 * with another shape needs its own DTO.
 */
export class StandardWebhookEventDto {
  /** The event type, a full-stop delimited name such as `contact.created`; what handlers are routed by. */
  @IsString()
  @IsNotEmpty()
  type!: string;

  /** When the event occurred, as an ISO 8601 string (which may differ from the delivery's `webhook-timestamp`). */
  @IsISO8601()
  timestamp!: string;

  /** The event's data, as the sender defines it for the event type. Kept as sent, unvalidated. */
  @IsObject()
  data!: Record<string, unknown>;
}
