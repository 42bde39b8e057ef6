import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  isSealed,
  jobIdFor,
  sealJob,
  storableHeaders,
  type UnsealedDeliveryJob,
} from '../../lib/deliveries/delivery-job.js';
import { isSensitiveHeader } from '../../lib/core/header-masking.js';

const KEY = Buffer.from('job-signing-key-for-the-unit-test-0001');
const job: UnsealedDeliveryJob = {
  source: 'billing',
  tenant: 'acme',
  scope: 't.acme',
  deliveryId: 'msg_1',
  event: 'invoice.paid',
  timestamp: 1_700_000_000_000,
  headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1' },
  body: Buffer.from('{"type":"invoice.paid"}').toString('base64'),
  receivedAt: 1_700_000_000_500,
  acceptedBy: 'abc-1',
};

describe('queued delivery jobs', () => {
  it('gives different ids to parts that joined with a newline would collide', () => {
    // Once `source\ntenant\nid` and `source\nid`: tenant "a" with id "x", and no tenant with id "a\nx".
    expect(jobIdFor('billing', 'a', 'x')).not.toBe(jobIdFor('billing', undefined, 'a\nx'));
    expect(jobIdFor('billing', 't.a', 'x')).not.toBe(jobIdFor('billing', undefined, 't.a\nx'));
    expect(jobIdFor('billing', undefined, 'x')).not.toBe(jobIdFor('billing', 'x', ''));
    expect(jobIdFor('billing', 't.acme', 'msg_1')).toBe(jobIdFor('billing', 't.acme', 'msg_1'));
    expect(jobIdFor('billing', 't.acme', 'msg_1')).toMatch(/^billing-[0-9a-f]{40}$/);
  });

  it('keeps the id and seal formats, so jobs queued before an upgrade keep their id and their seal', () => {
    // Written out by hand, as the format is documented: a job id is a digest of the parts as a JSON array, and a seal
    // the HMAC-SHA256 of a context string and every field, in order, as a JSON array.
    const identity = JSON.stringify(['billing', 't.acme', 'msg_1']);
    expect(jobIdFor('billing', 't.acme', 'msg_1')).toBe(
      `billing-${createHash('sha256').update(identity).digest('hex').slice(0, 40)}`,
    );
    const content = writtenOutContent(job, [
      ['content-type', 'application/json'],
      ['webhook-id', 'msg_1'],
    ]);
    expect(sealJob(job, [KEY]).seal).toBe(writtenOutSeal(content));
  });

  it('seals a large job with text beyond ASCII and a trace context as the written-out format says', () => {
    // Over the one-shot HMAC's 16 KB, so the seal streams through createHmac; non-ASCII text is hashed as UTF-8.
    const large: UnsealedDeliveryJob = {
      ...job,
      tenant: 'Zürich-東京',
      headers: { 'content-type': 'application/json', 'x-note': 'naïve — ✓' },
      body: Buffer.from(`{"text":"${'é'.repeat(12_000)}"}`).toString('base64'),
      trace: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    };
    const content = writtenOutContent(large, [
      ['content-type', 'application/json'],
      ['x-note', 'naïve — ✓'],
    ]);
    expect(Buffer.byteLength(content)).toBeGreaterThan(16 * 1024);
    expect(sealJob(large, [KEY]).seal).toBe(writtenOutSeal(content));
    expect(isSealed(sealJob(large, [KEY]), [KEY])).toBe(true);
  });

  it('accepts its own seal, under any of the rotation keys, and nothing else', () => {
    const sealed = sealJob(job, [KEY]);
    expect(isSealed(sealed, [KEY])).toBe(true);
    expect(isSealed(sealed, [Buffer.from('a-newer-key-the-app-rotated-to-00001'), KEY])).toBe(true);
    expect(isSealed(sealed, [Buffer.from('another-key-entirely-000000000000000')])).toBe(false);
    expect(isSealed(JSON.parse(JSON.stringify(sealed)), [KEY])).toBe(true);
  });

  it.each([
    ['body', { body: Buffer.from('{"type":"invoice.refunded"}').toString('base64') }],
    ['tenant', { tenant: 'globex' }],
    ['scope', { scope: 't.globex' }],
    ['delivery id', { deliveryId: 'msg_2' }],
    ['event', { event: 'invoice.refunded' }],
    ['timestamp', { timestamp: 1_700_000_000_001 }],
    ['header', { headers: { 'content-type': 'text/plain', 'webhook-id': 'msg_1' } }],
    ['header set (one added)', { headers: { ...job.headers, 'x-extra': '1' } }],
    ['source', { source: 'guuru' }],
    ['format version', { v: 1 }],
  ])('refuses a job whose %s was edited after it was sealed', (_field, edit) => {
    const tampered = { ...sealJob(job, [KEY]), ...edit };
    expect(isSealed(tampered, [KEY])).toBe(false);
  });

  describe('the trace context', () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const traced: UnsealedDeliveryJob = { ...job, trace: traceparent };

    it('is sealed with the rest: a traced job keeps its seal through Redis', () => {
      const sealed = sealJob(traced, [KEY]);
      expect(sealed.trace).toBe(traceparent);
      expect(isSealed(JSON.parse(JSON.stringify(sealed)), [KEY])).toBe(true);
    });

    it.each([
      ['grafted onto another trace', { trace: '00-11111111111111111111111111111111-2222222222222222-01' }],
      ['sampled differently', { trace: traceparent.replace(/-01$/, '-00') }],
      ['removed', { trace: undefined }],
      ['emptied', { trace: '' }],
      ['nulled', { trace: null }],
    ])('refuses a traced job whose trace context was %s', (_edit, edit) => {
      const tampered = JSON.parse(JSON.stringify({ ...sealJob(traced, [KEY]), ...edit })) as unknown;
      expect(isSealed(tampered, [KEY])).toBe(false);
    });

    it('refuses a trace context added to a job sealed without one', () => {
      expect(isSealed({ ...sealJob(job, [KEY]), trace: traceparent }, [KEY])).toBe(false);
      expect(isSealed({ ...sealJob(job, [KEY]), trace: null }, [KEY])).toBe(false);
    });

    it('leaves a job sealed without one as it was: untraced jobs, and those queued before, keep their seal', () => {
      const untraced = sealJob({ ...job, trace: undefined }, [KEY]);
      expect(untraced.seal).toBe(sealJob(job, [KEY]).seal);
      expect('trace' in JSON.parse(JSON.stringify(untraced))).toBe(false);
      expect(isSealed(JSON.parse(JSON.stringify(untraced)), [KEY])).toBe(true);
    });
  });

  it('refuses a job without a seal, with a malformed one, or that is no object', () => {
    const unsealed: Record<string, unknown> = { ...sealJob(job, [KEY]) };
    delete unsealed.seal;
    expect(isSealed(unsealed, [KEY])).toBe(false);
    expect(isSealed({ ...sealJob(job, [KEY]), seal: 'zz' }, [KEY])).toBe(false);
    expect(isSealed(null, [KEY])).toBe(false);
    expect(isSealed('job', [KEY])).toBe(false);
  });

  it('stores only the content type and the sender’s own headers, never a credential', () => {
    const kept = storableHeaders(
      {
        'content-type': 'application/json',
        'webhook-id': 'msg_1',
        'webhook-timestamp': '1700000000',
        'webhook-signature': 'v1,abc',
        authorization: 'Bearer secret',
        cookie: 'session=abc',
        'x-api-key': 'key',
        'x-forwarded-for': '10.0.0.1',
        'user-agent': 'Svix',
      },
      ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
      (name) =>
        isSensitiveHeader(name, { sensitive: ['webhook-signature'], declared: ['webhook-id', 'webhook-timestamp'] }),
    );
    expect(kept).toEqual({
      'content-type': 'application/json',
      'webhook-id': 'msg_1',
      'webhook-timestamp': '1700000000',
    });
  });
});

/**
 * A job's sealed content as the format is documented, written out here rather than taken from the library: format
 * version 2, every field in order, the headers sorted by name (given sorted), the trace context last when there is one.
 */
function writtenOutContent(job: UnsealedDeliveryJob, sortedHeaders: readonly [string, string][]): string {
  const fields: unknown[] = [
    2,
    job.source,
    job.tenant,
    job.scope,
    job.deliveryId,
    job.event,
    job.timestamp,
    sortedHeaders,
    job.body,
    job.receivedAt,
    job.acceptedBy,
  ];
  if (job.trace !== undefined) fields.push(job.trace);
  return JSON.stringify(fields);
}

/** The seal of written-out content: HMAC-SHA256 under the test's key of a context string and the content. */
function writtenOutSeal(content: string): string {
  return createHmac('sha256', KEY).update('nestjs-signed-webhooks:job\u0000').update(content).digest('hex');
}
