import { Type } from 'class-transformer';
import { IsBoolean, IsNumber, IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';

/** The customer who asked the question. */
export class GuuruUserDto {
  /** The customer's name. */
  @IsOptional()
  @IsString()
  name?: string;

  /**
   * The customer's email address. Often empty (`""`) when the customer gave none, so it
   * is only checked to be a string.
   */
  @IsOptional()
  @IsString()
  email?: string;

  /** The customer's locale, such as `en`. */
  @IsOptional()
  @IsString()
  locale?: string;

  /** Whether the customer is a lead. */
  @IsOptional()
  @IsBoolean()
  isLead?: boolean;

  /** Whether the customer is a known user. */
  @IsOptional()
  @IsBoolean()
  isUser?: boolean;
}

/**
 * A Guuru chat, as sent by Guuru's webhooks (the kind of event is in the
 * `X-Guuru-Event` header, not in the body). Guuru omits a field when its value is not
 * available yet (a chat that is not rated has no `rating`), so every field is optional;
 * a field that is present must have its documented type. Times are milliseconds since
 * the epoch.
 */
export class GuuruChatDto {
  /** Identifier of the chat. */
  @IsOptional()
  @IsString()
  id?: string;

  /** The customer who asked the question. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => GuuruUserDto)
  user?: GuuruUserDto;

  /** The customer's question, as asked. */
  @IsOptional()
  @IsString()
  question?: string;

  /** Status of the chat, such as `rated`. */
  @IsOptional()
  @IsString()
  status?: string;

  /** Language of the chat, such as `en`. */
  @IsOptional()
  @IsString()
  language?: string;

  /** URL of the chat's transcript. */
  @IsOptional()
  @IsString()
  transcriptURL?: string;

  /** The customer's rating of the chat. */
  @IsOptional()
  @IsNumber()
  rating?: number;

  /** Category of the question, such as `general`. */
  @IsOptional()
  @IsString()
  category?: string;

  /** When the chat was created, in milliseconds since the epoch. */
  @IsOptional()
  @IsNumber()
  createdAt?: number;

  /** When an expert accepted the chat, in milliseconds since the epoch. */
  @IsOptional()
  @IsNumber()
  acceptedAt?: number;

  /** When the chat was closed, in milliseconds since the epoch. */
  @IsOptional()
  @IsNumber()
  closedAt?: number;

  /** When the customer rated the chat, in milliseconds since the epoch. */
  @IsOptional()
  @IsNumber()
  ratedAt?: number;
}
