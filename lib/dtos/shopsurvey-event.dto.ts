import { Expose, Transform, Type } from 'class-transformer';
import { IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';

/** A ShopSurvey survey, as sent in the body of the `Survey.Created` and `Survey.Updated` topics. */
export class ShopSurveySurveyDto {
  /** Survey ID (a UUID). */
  @IsOptional()
  @IsString()
  id?: string;

  /** Name of the survey. */
  @IsOptional()
  @IsString()
  name?: string;

  /** Headline shown to respondents. */
  @IsOptional()
  @IsString()
  headline?: string | null;

  /** Subheadline shown to respondents. */
  @IsOptional()
  @IsString()
  subheadline?: string | null;

  /** Public URL of the survey. */
  @IsOptional()
  @IsString()
  survey_url?: string | null;

  /** Reward given for answering, such as `none`. */
  @IsOptional()
  @IsString()
  reward_type?: string | null;

  /** Who the survey is shown to, such as `basic_url`. */
  @IsOptional()
  @IsString()
  audience_type?: string | null;

  /** Discount code given as the reward. */
  @IsOptional()
  @IsString()
  reward_discount_code?: string | null;

  /** Short key of the survey. */
  @IsOptional()
  @IsString()
  short_key?: string | null;

  /** Status of the survey, such as `open`. */
  @IsOptional()
  @IsString()
  status?: string | null;

  /** When the survey was created (ISO 8601). */
  @IsOptional()
  @IsString()
  created_at?: string | null;

  /** When the survey was last updated (ISO 8601). */
  @IsOptional()
  @IsString()
  updated_at?: string | null;

  /** When the survey was published (ISO 8601). */
  @IsOptional()
  @IsString()
  published_at?: string | null;
}

/**
 * The JSON body of a ShopSurvey webhook delivery. The topic (`Survey.Created`,
 * `Survey.Updated`, `Response.Created`, `Session.Abandoned`, ...) is not in the body but
 * in the `X-SHOPSURVEY-WEBHOOK-TOPIC` header: route handlers by topic.
 *
 * The body is NOT covered by ShopSurvey's signature: `X-SHOPSURVEY-WEBHOOK-HMAC` signs
 * only the `X-SHOPSURVEY-WEBHOOK-*` headers. A verified delivery proves that ShopSurvey
 * sent those headers, not that the body is the one ShopSurvey sent with them; only the
 * replay window on `SENT-AT` and de-duplication on `MESSAGE-ID` stop a captured set of
 * headers from being reused with another body. Treat the body as untrusted input, and
 * fetch the resource from ShopSurvey's API when its integrity matters.
 *
 * ShopSurvey documents few bodies, so this DTO is permissive: the survey of the
 * `Survey.*` topics (`{ "survey": { ... } }`) is typed, and the whole body is kept
 * unvalidated in {@link ShopSurveyEventDto.raw} for every other topic.
 *
 * A GET delivery has no body: its DTO is built from `{}` (so `raw` is empty); read the
 * topic and message id from the `WebhookContext`.
 */
export class ShopSurveyEventDto {
  /** The survey, for the `Survey.Created` and `Survey.Updated` topics. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ShopSurveySurveyDto)
  survey?: ShopSurveySurveyDto;

  /**
   * The whole body, as ShopSurvey sent it (a shallow copy, unvalidated): the way to the
   * fields of the topics this DTO does not type. A `raw` property of the body itself is
   * inside it, at `raw.raw`.
   */
  @Expose()
  @Transform(({ obj }: { obj: Record<string, unknown> }) => ({ ...obj }), { toClassOnly: true })
  @IsObject()
  raw!: Record<string, unknown>;
}
