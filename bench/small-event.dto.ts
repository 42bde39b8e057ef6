// The small DTO of the http benchmark: three fields (a `type`, an id, a nested object), the kind of event a
// Standard Webhooks sender posts. Small on purpose: with a heavy DTO, validation dominates both the module and the
// hand-written route and hides the library's own fixed cost per delivery.
import { Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsObject, IsString, ValidateNested } from 'class-validator';

/** The event's nested object. */
export class SmallEventDataDto {
  @IsString()
  @IsNotEmpty()
  invoiceId!: string;

  @IsInt()
  amountCents!: number;

  /** Free text; the benchmark pads it so that every body is 1 KB (validated, not stripped). */
  @IsString()
  note!: string;
}

/** `{ "type": "invoice.paid", "id": "evt_…", "data": { "invoiceId", "amountCents", "note" } }`. */
export class SmallEventDto {
  @IsString()
  @IsNotEmpty()
  type!: string;

  @IsString()
  @IsNotEmpty()
  id!: string;

  @IsObject()
  @ValidateNested()
  @Type(() => SmallEventDataDto)
  data!: SmallEventDataDto;
}
