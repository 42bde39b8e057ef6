import { describe, expect, it } from '@jest/globals';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import {
  GuuruChatDto,
  GuuruUserDto,
  ShopSurveyEventDto,
  ShopSurveySurveyDto,
  StandardWebhookEventDto,
  SurvicateChoiceDto,
  SurvicateEventContentDto,
  SurvicateEventDto,
  SurvicateMatrixAnswerDto,
  SurvicateQuestionAnsweredDto,
  SurvicateQuestionDto,
  SurvicateRespondentDto,
  SurvicateSurveyDto,
  UsersnapClientDto,
  UsersnapCommentDto,
  UsersnapFeedbackDto,
  UsersnapFieldDto,
  UsersnapGeoDto,
  UsersnapRatingDto,
  UsersnapRequestDto,
  UsersnapStateDto,
  UsersnapVisitorDto,
} from '../../lib/dtos/index.js';

/** The options the library validates handler payloads with. */
const VALIDATION = { whitelist: true, forbidNonWhitelisted: false, forbidUnknownValues: false } as const;

interface Validated<T> {
  readonly dto: T;
  /** The property path of every failed constraint, such as `event.questionAnswered.question.id`. */
  readonly failed: string[];
}

/** What the library does with a payload: `plainToInstance`, then `validate` with its options. */
async function toDto<T extends object>(cls: ClassConstructor<T>, plain: unknown): Promise<Validated<T>> {
  const dto = plainToInstance(cls, plain);
  const errors = await validate(dto, VALIDATION);
  return { dto, failed: pathsOf(errors) };
}

function pathsOf(errors: readonly ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    return [...(error.constraints ? [path] : []), ...pathsOf(error.children ?? [], path)];
  });
}

/** A copy of `object` without its property `key`. */
function without(object: Record<string, unknown>, key: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([name]) => name !== key));
}

/** The DTO as plain JSON: equal to the payload when every property was kept. */
function plain(dto: object): unknown {
  return JSON.parse(JSON.stringify(dto));
}

/** The JSON document of seed 000 (Usersnap), as published. */
const USERSNAP_FEEDBACK = `{
"feedback_number": 1000,
"link": "https://app.usersnap.com/l/feedback/45a5c97d-2a8f-46c0-90b6-d6089192b161",
"client": {
"url": "https://app.usersnap.com/",
"user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/78.0.3904.108 Safari/537.36",
"screen_width": 1200,
"screen_height": 1200,
"client": "Chrome"
},
"comment": {
"text": "This example feedback will show if your integration setup is correct"
},
"geo": {
"ip_address": "123.123.123.123"
},
"fields": [
{
"order": 0,
"label": "Title",
"boolean_value": null,
"text_value": "Sample feedback",
"value": "Sample feedback"
},
{
"order": 1,
"label": "Comment",
"boolean_value": null,
"text_value": "This example feedback will show if your integration setup is correct",
"value": "This example feedback will show if your integration setup is correct"
}
],
"rating": {
"value": 1
},
"request": {
"text": "Sample feedback"
},
"state": {
"identifier": "open"
},
"visitor": {
"email": "[email protected]"
}
}`;

/** The three published bodies of seed 001 (Guuru), verbatim. */
const GUURU_EXAMPLES = [
  `{"user":{"name":"joao","email":"","locale":"en"},"question":"My router lights are all yellow and blinking and I can't connect to the Internet from my laptop, what can I do?","status":"rated","language":"en","transcriptURL":"https://chat.guuru.com/guuru-qa/transcripts/-LZu0Bo-008GtlT9A5Oj","rating":1,"category":"general","createdAt":1551456587480,"acceptedAt":1551456623552,"closedAt":1551456680711,"ratedAt":1551456684623}`,
  `{"user":{"name":"João","email":"","locale":"en"},"question":"Is shipping free for Portugal?","status":"rated","language":"en","transcriptURL":"https://chat.guuru.com/guuru-qa/transcripts/-LZu-ZrIBzpNHGswVFuP","rating":1,"category":"general","createdAt":1551456423860,"acceptedAt":1551456435840,"closedAt":1551456470489,"ratedAt":1551456472882}`,
  `{"user":{"name":"joao","email":"","locale":"en"},"question":"hello 123","status":"rated","language":"en","transcriptURL":"https://chat.guuru.com/guuru-qa/transcripts/-LZu--MHQ3xLy1RvHqv4","rating":1,"category":"general","createdAt":1551456274349,"acceptedAt":1551456289259,"closedAt":1551456338034,"ratedAt":1551456341040}`,
];

/** Survicate's published `questionAnswered` sample payload. */
const SURVICATE_QUESTION_ANSWERED = `{
  "messageId": "c0101a21572ca643fd9f9ad40a5a4650",
  "deliveryTries": 0,
  "event": {
    "questionAnswered": {
      "responseUuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
      "survey": {
        "id": "b92b6ecae6dd7207",
        "name": "Satisfaction"
      },
      "url": "https://survey.survicate.com/43f2d5789346d6ad",
      "timestamp": "2019-05-10T06:46:02+00:00",
      "respondent": {
        "id": "534759",
        "uuid": "279cd4ab-8a07-4e9e-ac79-bcea32792bbc",
        "platform": "OSX",
        "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/74.0.3729.131 Safari/537.36",
        "attributes": [],
        "links": []
      },
      "question": {
        "id": 12123,
        "body": "How would you rate our customer service?"
      },
      "choice": {
        "id": 21573,
        "body": "Great",
        "comment": null
      }
    }
  }
}`;

/** The example event of the Standard Webhooks specification. */
const STANDARD_WEBHOOK_EVENT = {
  type: 'contact.created',
  timestamp: '2022-11-03T20:26:10.344522Z',
  data: { id: '1f81eb52-5198-4599-803e-771906343485', type: 'contact' },
};

/** ShopSurvey's published `Survey.Created` body. */
const SHOPSURVEY_SURVEY_CREATED = {
  survey: {
    id: 'f8015fcb-1b27-4c4e-ac5b-b5766b6548ad',
    name: 'string',
    headline: 'string',
    subheadline: 'string',
    survey_url: 'string',
    reward_type: 'none',
    audience_type: 'basic_url',
    reward_discount_code: 'string',
    short_key: 'string',
    status: 'open',
    created_at: '2023-02-17T23:56:16Z',
    updated_at: '2023-02-17T23:56:16Z',
    published_at: '2023-02-17T23:56:16Z',
  },
};

describe('UsersnapFeedbackDto', () => {
  it('builds the seed 000 feedback document, with nested class instances and every value kept', async () => {
    const payload: unknown = JSON.parse(USERSNAP_FEEDBACK);
    const { dto, failed } = await toDto(UsersnapFeedbackDto, payload);

    expect(failed).toEqual([]);
    expect(dto).toBeInstanceOf(UsersnapFeedbackDto);
    expect(dto.client).toBeInstanceOf(UsersnapClientDto);
    expect(dto.comment).toBeInstanceOf(UsersnapCommentDto);
    expect(dto.geo).toBeInstanceOf(UsersnapGeoDto);
    expect(dto.fields).toHaveLength(2);
    for (const field of dto.fields ?? []) expect(field).toBeInstanceOf(UsersnapFieldDto);
    expect(dto.rating).toBeInstanceOf(UsersnapRatingDto);
    expect(dto.request).toBeInstanceOf(UsersnapRequestDto);
    expect(dto.state).toBeInstanceOf(UsersnapStateDto);
    expect(dto.visitor).toBeInstanceOf(UsersnapVisitorDto);

    expect(dto.feedback_number).toBe(1000);
    expect(dto.client?.screen_width).toBe(1200);
    expect(dto.fields?.[0]?.boolean_value).toBeNull();
    expect(dto.fields?.[1]?.value).toBe('This example feedback will show if your integration setup is correct');
    expect(dto.state?.identifier).toBe('open');
    expect(dto.visitor?.email).toBe('[email protected]');
    expect(plain(dto)).toEqual(payload);
  });

  it('strips unknown properties at every level without failing', async () => {
    const payload = JSON.parse(USERSNAP_FEEDBACK) as Record<string, unknown>;
    payload['labels'] = ['bug'];
    (payload['client'] as Record<string, unknown>)['os'] = 'Windows';
    (payload['fields'] as Record<string, unknown>[])[0]!['hidden'] = true;

    const { dto, failed } = await toDto(UsersnapFeedbackDto, payload);

    expect(failed).toEqual([]);
    expect(dto).not.toHaveProperty('labels');
    expect(dto.client).not.toHaveProperty('os');
    expect(dto.fields?.[0]).not.toHaveProperty('hidden');
    expect(plain(dto)).toEqual(JSON.parse(USERSNAP_FEEDBACK));
  });

  it('keeps a field value of any type, and accepts null where Usersnap may send it', async () => {
    const values: unknown[] = [true, 4, ['a', 'b'], { nested: 1 }, null];
    const payload = {
      feedback_number: 7,
      link: null,
      client: null,
      fields: values.map((value, order) => ({
        order,
        label: `F${order}`,
        boolean_value: null,
        text_value: null,
        value,
      })),
    };

    const { dto, failed } = await toDto(UsersnapFeedbackDto, payload);

    expect(failed).toEqual([]);
    expect(dto.fields?.map((field) => field.value)).toEqual(values);
    expect(dto.client).toBeNull();
  });

  it('fails on a missing or mistyped feedback_number and on mistyped nested values', async () => {
    const base = JSON.parse(USERSNAP_FEEDBACK) as Record<string, unknown>;

    expect((await toDto(UsersnapFeedbackDto, without(base, 'feedback_number'))).failed).toEqual(['feedback_number']);
    expect((await toDto(UsersnapFeedbackDto, { ...base, feedback_number: '1000' })).failed).toEqual([
      'feedback_number',
    ]);
    expect((await toDto(UsersnapFeedbackDto, { ...base, client: 'Chrome' })).failed).toContain('client');
    expect((await toDto(UsersnapFeedbackDto, { ...base, fields: { order: 0 } })).failed).toContain('fields');
    expect(
      (await toDto(UsersnapFeedbackDto, { ...base, fields: [{ order: 0, boolean_value: 'yes' }] })).failed,
    ).toEqual(['fields.0.boolean_value']);
  });
});

describe('GuuruChatDto', () => {
  it.each(GUURU_EXAMPLES.map((body, index) => [index + 1, body] as const))(
    'builds published example %i of seed 001, with every value kept',
    async (_index, body) => {
      const payload: unknown = JSON.parse(body);
      const { dto, failed } = await toDto(GuuruChatDto, payload);

      expect(failed).toEqual([]);
      expect(dto).toBeInstanceOf(GuuruChatDto);
      expect(dto.user).toBeInstanceOf(GuuruUserDto);
      expect(dto.user?.email).toBe('');
      expect(dto.status).toBe('rated');
      expect(dto.rating).toBe(1);
      expect(typeof dto.createdAt).toBe('number');
      expect(plain(dto)).toEqual(payload);
    },
  );

  it('keeps non-ASCII text (example 2)', async () => {
    const { dto } = await toDto(GuuruChatDto, JSON.parse(GUURU_EXAMPLES[1]!));
    expect(dto.user?.name).toBe('João');
    expect(dto.question).toBe('Is shipping free for Portugal?');
    expect(dto.ratedAt).toBe(1551456472882);
  });

  it('accepts a chat whose not-yet-available fields are omitted, as Guuru does', async () => {
    const { dto, failed } = await toDto(GuuruChatDto, {
      user: { name: 'joao', locale: 'en' },
      question: 'hello',
      status: 'closed',
      createdAt: 1551456274349,
    });
    expect(failed).toEqual([]);
    expect(dto.rating).toBeUndefined();
  });

  it('strips unknown properties without failing', async () => {
    const payload = JSON.parse(GUURU_EXAMPLES[0]!) as Record<string, unknown>;
    const { dto, failed } = await toDto(GuuruChatDto, {
      ...payload,
      expert: { name: 'Ana' },
      user: { ...(payload['user'] as object), phone: '+351' },
    });

    expect(failed).toEqual([]);
    expect(dto).not.toHaveProperty('expert');
    expect(dto.user).not.toHaveProperty('phone');
    expect(plain(dto)).toEqual(payload);
  });

  it('fails on a value of the wrong type', async () => {
    const payload = JSON.parse(GUURU_EXAMPLES[0]!) as Record<string, unknown>;
    expect((await toDto(GuuruChatDto, { ...payload, rating: 'x' })).failed).toEqual(['rating']);
    expect((await toDto(GuuruChatDto, { ...payload, createdAt: '2019-03-01' })).failed).toEqual(['createdAt']);
    expect((await toDto(GuuruChatDto, { ...payload, user: 'joao' })).failed).toContain('user');
    expect((await toDto(GuuruChatDto, { ...payload, user: { name: 5 } })).failed).toEqual(['user.name']);
  });
});

describe('SurvicateEventDto', () => {
  it('builds the published questionAnswered sample, with nested class instances and its values kept', async () => {
    const payload = JSON.parse(SURVICATE_QUESTION_ANSWERED) as Record<string, unknown>;
    const { dto, failed } = await toDto(SurvicateEventDto, payload);

    expect(failed).toEqual([]);
    expect(dto).toBeInstanceOf(SurvicateEventDto);
    expect(dto.messageId).toBe('c0101a21572ca643fd9f9ad40a5a4650');
    expect(dto.deliveryTries).toBe(0);
    expect(dto.event).toBeInstanceOf(SurvicateEventContentDto);
    expect(dto.event.surveyCompleted).toBeUndefined();

    const answer = dto.event.questionAnswered;
    expect(answer).toBeInstanceOf(SurvicateQuestionAnsweredDto);
    expect(answer?.survey).toBeInstanceOf(SurvicateSurveyDto);
    expect(answer?.respondent).toBeInstanceOf(SurvicateRespondentDto);
    expect(answer?.question).toBeInstanceOf(SurvicateQuestionDto);
    expect(answer?.choice).toBeInstanceOf(SurvicateChoiceDto);
    expect(answer?.survey.id).toBe('b92b6ecae6dd7207');
    expect(answer?.question.id).toBe(12123);
    expect(answer?.choice?.comment).toBeNull();
    expect(answer?.timestamp).toBe('2019-05-10T06:46:02+00:00');
    // Survicate's `[]` for "no attributes" becomes an empty object; everything else is as sent.
    expect(answer?.respondent?.attributes).toEqual({});
    const expected = JSON.parse(SURVICATE_QUESTION_ANSWERED) as { event: { questionAnswered: { respondent: object } } };
    expected.event.questionAnswered.respondent = { ...expected.event.questionAnswered.respondent, attributes: {} };
    expect(plain(dto)).toEqual(expected);
  });

  it('keeps the answers of the other question types and the respondent attributes', async () => {
    const payload = {
      messageId: 'm-2',
      deliveryTries: 1,
      event: {
        questionAnswered: {
          survey: { id: 's1', name: 'Onboarding' },
          question: { id: 7, body: 'Which teams use it?' },
          respondent: { id: '9', attributes: { plan: 'pro', seats: 12 } },
          choices: [
            { id: 1021, body: 'IT/Product', comment: 'most important for our company' },
            { id: 1022, body: 'Customer support', comment: null },
          ],
          matrix: [{ id: 43393, body: 'Ease of use', value: 'Significant' }],
          fields: { firstName: 'Alan', email: 'alan@example.com' },
          text: 'Awesome platform and great support!',
          date: '2019-05-22',
        },
      },
    };

    const { dto, failed } = await toDto(SurvicateEventDto, payload);

    expect(failed).toEqual([]);
    const answer = dto.event.questionAnswered;
    for (const choice of answer?.choices ?? []) expect(choice).toBeInstanceOf(SurvicateChoiceDto);
    expect(answer?.matrix?.[0]).toBeInstanceOf(SurvicateMatrixAnswerDto);
    expect(answer?.respondent?.attributes).toEqual({ plan: 'pro', seats: 12 });
    expect(plain(dto)).toEqual(payload);
  });

  it('keeps a surveyCompleted event as sent', async () => {
    const completed = {
      survey: { id: 'b92b6ecae6dd7207', name: 'Satisfaction' },
      answers: [{ question: { id: 1 }, text: 'ok' }],
      anything: { else: true },
    };
    const { dto, failed } = await toDto(SurvicateEventDto, {
      messageId: 'm-3',
      deliveryTries: 0,
      event: { surveyCompleted: completed },
    });

    expect(failed).toEqual([]);
    expect(dto.event.questionAnswered).toBeUndefined();
    expect(dto.event.surveyCompleted).toEqual(completed);
  });

  it('strips unknown properties at every level without failing', async () => {
    const payload = JSON.parse(SURVICATE_QUESTION_ANSWERED) as {
      event: { questionAnswered: { survey: Record<string, unknown> } & Record<string, unknown> };
    } & Record<string, unknown>;
    payload['workspace'] = 'w1';
    payload.event.questionAnswered['newField'] = 1;
    payload.event.questionAnswered.survey['status'] = 'active';

    const { dto, failed } = await toDto(SurvicateEventDto, payload);

    expect(failed).toEqual([]);
    expect(dto).not.toHaveProperty('workspace');
    expect(dto.event.questionAnswered).not.toHaveProperty('newField');
    expect(dto.event.questionAnswered?.survey).not.toHaveProperty('status');
  });

  it('fails on a missing messageId or event, and on mistyped answers', async () => {
    const payload = JSON.parse(SURVICATE_QUESTION_ANSWERED) as Record<string, unknown>;
    const answered = (payload['event'] as { questionAnswered: Record<string, unknown> }).questionAnswered;
    const withAnswer = (changes: Record<string, unknown>): Record<string, unknown> => ({
      ...payload,
      event: { questionAnswered: { ...answered, ...changes } },
    });

    expect((await toDto(SurvicateEventDto, without(payload, 'messageId'))).failed).toEqual(['messageId']);
    expect((await toDto(SurvicateEventDto, without(payload, 'event'))).failed).toEqual(['event']);
    expect((await toDto(SurvicateEventDto, { ...payload, deliveryTries: 'once' })).failed).toEqual(['deliveryTries']);
    expect(
      (await toDto(SurvicateEventDto, { ...payload, event: { questionAnswered: without(answered, 'survey') } })).failed,
    ).toEqual(['event.questionAnswered.survey']);
    expect((await toDto(SurvicateEventDto, withAnswer({ question: { id: 'x' } }))).failed).toEqual([
      'event.questionAnswered.question.id',
    ]);
    expect((await toDto(SurvicateEventDto, withAnswer({ choices: { id: 1 } }))).failed).toContain(
      'event.questionAnswered.choices',
    );
  });
});

describe('ShopSurveyEventDto', () => {
  it('builds the published Survey.Created body, and keeps the whole body in raw', async () => {
    const { dto, failed } = await toDto(ShopSurveyEventDto, SHOPSURVEY_SURVEY_CREATED);

    expect(failed).toEqual([]);
    expect(dto).toBeInstanceOf(ShopSurveyEventDto);
    expect(dto.survey).toBeInstanceOf(ShopSurveySurveyDto);
    expect(dto.survey?.id).toBe('f8015fcb-1b27-4c4e-ac5b-b5766b6548ad');
    expect(dto.survey?.published_at).toBe('2023-02-17T23:56:16Z');
    expect(plain(dto.survey ?? {})).toEqual(SHOPSURVEY_SURVEY_CREATED.survey);
    expect(dto.raw).toEqual(SHOPSURVEY_SURVEY_CREATED);
  });

  it('accepts a body of any other shape and keeps all of it in raw, unvalidated', async () => {
    const body = {
      response: { id: 42, survey_id: 'f8015fcb', answers: [{ question: 'Q1', answer: 5 }], created_at: '2024-01-01' },
      shop: 'example.myshopify.com',
      raw: 'from the sender',
    };
    const { dto, failed } = await toDto(ShopSurveyEventDto, body);

    expect(failed).toEqual([]);
    expect(dto.survey).toBeUndefined();
    expect(dto.raw).toEqual(body);
    expect(dto.raw).not.toBe(body);
    expect(dto).not.toHaveProperty('response');
    expect(dto).not.toHaveProperty('shop');
  });

  it('strips unknown survey properties without failing, and fails on a mistyped survey', async () => {
    const extended = { survey: { ...SHOPSURVEY_SURVEY_CREATED.survey, questions_count: 3 } };
    const { dto, failed } = await toDto(ShopSurveyEventDto, extended);
    expect(failed).toEqual([]);
    expect(dto.survey).not.toHaveProperty('questions_count');
    expect(dto.raw).toEqual(extended);

    expect((await toDto(ShopSurveyEventDto, { survey: 'f8015fcb' })).failed).toContain('survey');
    expect((await toDto(ShopSurveyEventDto, { survey: { id: 7 } })).failed).toEqual(['survey.id']);
  });
});

describe('StandardWebhookEventDto', () => {
  it('builds the specification example, keeping data as sent', async () => {
    const { dto, failed } = await toDto(StandardWebhookEventDto, STANDARD_WEBHOOK_EVENT);

    expect(failed).toEqual([]);
    expect(dto).toBeInstanceOf(StandardWebhookEventDto);
    expect(dto.type).toBe('contact.created');
    expect(dto.timestamp).toBe('2022-11-03T20:26:10.344522Z');
    expect(dto.data).toEqual({ id: '1f81eb52-5198-4599-803e-771906343485', type: 'contact' });
    expect(plain(dto)).toEqual(STANDARD_WEBHOOK_EVENT);
  });

  it('strips unknown top-level properties without failing, and never touches data', async () => {
    const data = { id: 'c1', nested: { deep: [1, 2, { x: true }] } };
    const { dto, failed } = await toDto(StandardWebhookEventDto, { ...STANDARD_WEBHOOK_EVENT, data, version: 2 });

    expect(failed).toEqual([]);
    expect(dto).not.toHaveProperty('version');
    expect(dto.data).toEqual(data);
  });

  it('fails on a missing or mistyped type, timestamp or data', async () => {
    expect((await toDto(StandardWebhookEventDto, without(STANDARD_WEBHOOK_EVENT, 'type'))).failed).toEqual(['type']);
    expect((await toDto(StandardWebhookEventDto, { ...STANDARD_WEBHOOK_EVENT, type: '' })).failed).toEqual(['type']);
    expect((await toDto(StandardWebhookEventDto, { ...STANDARD_WEBHOOK_EVENT, type: 3 })).failed).toEqual(['type']);
    expect((await toDto(StandardWebhookEventDto, without(STANDARD_WEBHOOK_EVENT, 'timestamp'))).failed).toEqual([
      'timestamp',
    ]);
    expect(
      (await toDto(StandardWebhookEventDto, { ...STANDARD_WEBHOOK_EVENT, timestamp: 'yesterday' })).failed,
    ).toEqual(['timestamp']);
    expect((await toDto(StandardWebhookEventDto, without(STANDARD_WEBHOOK_EVENT, 'data'))).failed).toEqual(['data']);
    expect((await toDto(StandardWebhookEventDto, { ...STANDARD_WEBHOOK_EVENT, data: 'x' })).failed).toEqual(['data']);
  });
});
