import { Transform, Type } from 'class-transformer';
import { IsArray, IsInt, IsNumber, IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';

/**
 * Survicate sends an empty map as `[]` (as PHP's `json_encode` does): an empty array
 * becomes `{}`, so that such a property is always an object.
 */
const emptyArrayAsObject = ({ value }: { value: unknown }): unknown =>
  Array.isArray(value) && value.length === 0 ? {} : value;

/** The survey an answer belongs to. */
export class SurvicateSurveyDto {
  /** Survey ID. */
  @IsOptional()
  @IsString()
  id?: string;

  /** Survey name. */
  @IsOptional()
  @IsString()
  name?: string;
}

/** The respondent who answered. */
export class SurvicateRespondentDto {
  /** Respondent ID. */
  @IsOptional()
  @IsString()
  id?: string;

  /** Respondent UUID. */
  @IsOptional()
  @IsString()
  uuid?: string;

  /** The respondent's platform, such as `OSX`. */
  @IsOptional()
  @IsString()
  platform?: string;

  /** The respondent's browser user agent. */
  @IsOptional()
  @IsString()
  userAgent?: string;

  /**
   * All the respondent's custom attributes, by name. Survicate sends `[]` when there
   * are none; it becomes `{}` here.
   */
  @IsOptional()
  @Transform(emptyArrayAsObject, { toClassOnly: true })
  @IsObject()
  attributes?: Record<string, unknown>;

  /** Links of the respondent, as Survicate sends them. */
  @IsOptional()
  @IsArray()
  links?: unknown[];
}

/** The question that was answered. */
export class SurvicateQuestionDto {
  /** Question ID. */
  @IsOptional()
  @IsNumber()
  id?: number;

  /** Question content. */
  @IsOptional()
  @IsString()
  body?: string;
}

/**
 * A chosen answer: of a single choice, Net Promoter Score, rating, smiley scale or
 * dropdown question (`choice`), or one of the answers of a multiple answer question
 * (`choices`).
 */
export class SurvicateChoiceDto {
  /** Answer ID in Survicate; for a Net Promoter Score question, the score itself. */
  @IsOptional()
  @IsNumber()
  id?: number;

  /** Answer content, as a string. */
  @IsOptional()
  @IsString()
  body?: string;

  /** The respondent's additional comment, or `null`. */
  @IsOptional()
  @IsString()
  comment?: string | null;
}

/** One row of the answer to a matrix question. */
export class SurvicateMatrixAnswerDto {
  /** ID of the matrix row. */
  @IsOptional()
  @IsNumber()
  id?: number;

  /** Content of the matrix row. */
  @IsOptional()
  @IsString()
  body?: string;

  /** The value chosen for the row. */
  @IsOptional()
  @IsString()
  value?: string;
}

/**
 * The `questionAnswered` event: one respondent's answer to one question, with the
 * respondent's data. The answer is in the property of its question type: `choice`,
 * `choices`, `text`, `date`, `matrix` or `fields`.
 */
export class SurvicateQuestionAnsweredDto {
  /** UUID of the survey response this answer belongs to. */
  @IsOptional()
  @IsString()
  responseUuid?: string;

  /** Question type. */
  @IsOptional()
  @IsString()
  type?: string;

  /** The survey answered. */
  @IsObject()
  @ValidateNested()
  @Type(() => SurvicateSurveyDto)
  survey!: SurvicateSurveyDto;

  /** URL where the response was given. */
  @IsOptional()
  @IsString()
  url?: string;

  /** Timestamp of the event occurrence (ISO 8601, such as `2019-05-10T06:46:02+00:00`). */
  @IsOptional()
  @IsString()
  timestamp?: string;

  /** The respondent who answered. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SurvicateRespondentDto)
  respondent?: SurvicateRespondentDto;

  /** The question answered. */
  @IsObject()
  @ValidateNested()
  @Type(() => SurvicateQuestionDto)
  question!: SurvicateQuestionDto;

  /** The answer to a single choice, Net Promoter Score, rating, smiley scale or dropdown question. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SurvicateChoiceDto)
  choice?: SurvicateChoiceDto;

  /** The answers to a multiple answer (checkbox) question. */
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => SurvicateChoiceDto)
  choices?: SurvicateChoiceDto[];

  /** The answer to a text question. */
  @IsOptional()
  @IsString()
  text?: string;

  /** The answer to a date question, such as `2019-05-22`. */
  @IsOptional()
  @IsString()
  date?: string;

  /** The answer to a matrix question, one entry per row. */
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => SurvicateMatrixAnswerDto)
  matrix?: SurvicateMatrixAnswerDto[];

  /** The answers to a contact form, by field name (`firstName`, `email`, `phone`, ...). */
  @IsOptional()
  @Transform(emptyArrayAsObject, { toClassOnly: true })
  @IsObject()
  fields?: Record<string, unknown>;
}

/**
 * The `event` object of a delivery. Its single key is the event's name, and only that
 * property is set.
 */
export class SurvicateEventContentDto {
  /** Set for a `questionAnswered` event: one answer to one question. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SurvicateQuestionAnsweredDto)
  questionAnswered?: SurvicateQuestionAnsweredDto;

  /**
   * Set for a `surveyCompleted` event, sent once the whole survey is completed. Kept as
   * Survicate sends it, unvalidated.
   */
  @IsOptional()
  @IsObject()
  surveyCompleted?: Record<string, unknown>;
}

/**
 * A Survicate webhook delivery: `{ "messageId", "deliveryTries", "event": { "<eventName>": { ... } } }`,
 * where the event's name is `questionAnswered` or `surveyCompleted`.
 */
export class SurvicateEventDto {
  /** Webhook ID, the same on every attempt to deliver it. */
  @IsString()
  messageId!: string;

  /** Number of attempts to send the webhook. */
  @IsOptional()
  @IsInt()
  deliveryTries?: number;

  /** The event, under its name. */
  @IsObject()
  @ValidateNested()
  @Type(() => SurvicateEventContentDto)
  event!: SurvicateEventContentDto;
}
