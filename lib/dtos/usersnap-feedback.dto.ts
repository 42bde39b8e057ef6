import { Type } from 'class-transformer';
import {
  Allow,
  IsArray,
  IsBoolean,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  ValidateNested,
} from 'class-validator';

// Nested classes come before the classes that use them: with `emitDecoratorMetadata`
// a property typed by a class declared further down fails at load time.

/** Where the feedback was given from: the page and the browser, as Usersnap records them. */
export class UsersnapClientDto {
  /** URL of the page the feedback was given on. */
  @IsOptional()
  @IsString()
  url?: string | null;

  /** The browser's user agent string. */
  @IsOptional()
  @IsString()
  user_agent?: string | null;

  /** Width of the visitor's screen, in pixels. */
  @IsOptional()
  @IsNumber()
  screen_width?: number | null;

  /** Height of the visitor's screen, in pixels. */
  @IsOptional()
  @IsNumber()
  screen_height?: number | null;

  /** Name of the browser, such as `Chrome`. */
  @IsOptional()
  @IsString()
  client?: string | null;
}

/** The visitor's comment. */
export class UsersnapCommentDto {
  /** Text of the comment. */
  @IsOptional()
  @IsString()
  text?: string | null;
}

/** Where the visitor was, as far as Usersnap can tell. */
export class UsersnapGeoDto {
  /** The visitor's IP address. */
  @IsOptional()
  @IsString()
  ip_address?: string | null;
}

/** One field of the feedback form, with the visitor's answer. */
export class UsersnapFieldDto {
  /** Position of the field in the form, from 0. */
  @IsOptional()
  @IsNumber()
  order?: number | null;

  /** The field's label, such as `Title` or `Comment`. */
  @IsOptional()
  @IsString()
  label?: string | null;

  /** The answer of a yes/no field; `null` for the other kinds of field. */
  @IsOptional()
  @IsBoolean()
  boolean_value?: boolean | null;

  /** The answer as text; `null` when the field has none. */
  @IsOptional()
  @IsString()
  text_value?: string | null;

  /** The answer in the field's own type: text, number, boolean, list, ... */
  @Allow()
  value?: unknown;
}

/** The visitor's rating. */
export class UsersnapRatingDto {
  /** The rating given. */
  @IsOptional()
  @IsNumber()
  value?: number | null;
}

/** The visitor's request, as a short text (the feedback's title). */
export class UsersnapRequestDto {
  /** Text of the request. */
  @IsOptional()
  @IsString()
  text?: string | null;
}

/** The feedback's workflow state in Usersnap. */
export class UsersnapStateDto {
  /** Identifier of the state, such as `open`. */
  @IsOptional()
  @IsString()
  identifier?: string | null;
}

/** The visitor who gave the feedback. */
export class UsersnapVisitorDto {
  /**
   * The email address the visitor gave. Typed by the visitor and not checked by
   * Usersnap, so it is only checked to be a string here.
   */
  @IsOptional()
  @IsString()
  email?: string | null;
}

/**
 * A Usersnap feedback, as sent by the Webhook integration: the JSON document of the
 * multipart delivery's `feedback` part (attachments such as screenshots are delivered
 * beside it, not in it). Property names are snake_case, as Usersnap sends them.
 */
export class UsersnapFeedbackDto {
  /** Number of the feedback in the Usersnap project. */
  @IsInt()
  feedback_number!: number;

  /** Link to the feedback in the Usersnap dashboard. */
  @IsOptional()
  @IsString()
  link?: string | null;

  /** The page and browser the feedback was given from. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => UsersnapClientDto)
  client?: UsersnapClientDto | null;

  /** The visitor's comment. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => UsersnapCommentDto)
  comment?: UsersnapCommentDto | null;

  /** Where the visitor was. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => UsersnapGeoDto)
  geo?: UsersnapGeoDto | null;

  /** The fields of the feedback form, with the visitor's answers. */
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => UsersnapFieldDto)
  fields?: UsersnapFieldDto[] | null;

  /** The visitor's rating. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => UsersnapRatingDto)
  rating?: UsersnapRatingDto | null;

  /** The visitor's request (the feedback's title). */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => UsersnapRequestDto)
  request?: UsersnapRequestDto | null;

  /** The feedback's workflow state. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => UsersnapStateDto)
  state?: UsersnapStateDto | null;

  /** The visitor who gave the feedback. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => UsersnapVisitorDto)
  visitor?: UsersnapVisitorDto | null;
}
