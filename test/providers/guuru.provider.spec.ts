import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { signWebhook, verifyWebhook, WebhookConfigurationError, WebhookVerificationError } from '../../lib/index.js';

// The three published examples from Guuru's documentation (secret "secr3t").
const EXAMPLES = [
  {
    body: `{"user":{"name":"joao","email":"","locale":"en"},"question":"My router lights are all yellow and blinking and I can't connect to the Internet from my laptop, what can I do?","status":"rated","language":"en","transcriptURL":"https://chat.guuru.com/guuru-qa/transcripts/-LZu0Bo-008GtlT9A5Oj","rating":1,"category":"general","createdAt":1551456587480,"acceptedAt":1551456623552,"closedAt":1551456680711,"ratedAt":1551456684623}`,
    signature: 'b354f1d1c6586dacd3d578ee59e82d9829761cbe65ba2a9c948f99a34009792a',
  },
  {
    body: `{"user":{"name":"João","email":"","locale":"en"},"question":"Is shipping free for Portugal?","status":"rated","language":"en","transcriptURL":"https://chat.guuru.com/guuru-qa/transcripts/-LZu-ZrIBzpNHGswVFuP","rating":1,"category":"general","createdAt":1551456423860,"acceptedAt":1551456435840,"closedAt":1551456470489,"ratedAt":1551456472882}`,
    signature: 'e3671b73d2c6ef0c0a32cb07db50981ac1eab733632d3915d9a4bebd7454cbeb',
  },
  {
    body: `{"user":{"name":"joao","email":"","locale":"en"},"question":"hello 123","status":"rated","language":"en","transcriptURL":"https://chat.guuru.com/guuru-qa/transcripts/-LZu--MHQ3xLy1RvHqv4","rating":1,"category":"general","createdAt":1551456274349,"acceptedAt":1551456289259,"closedAt":1551456338034,"ratedAt":1551456341040}`,
    signature: '7480a83edb7109f9f0021f6150383879f97e926654b91ac3e2aa591dd8fad851',
  },
];

function reasonOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.reason;
    throw error;
  }
  return undefined;
}

describe('guuru provider', () => {
  it.each(EXAMPLES.map((example, index) => [index + 1, example] as const))(
    'verifies published example %i with secr3t',
    (_index, { body, signature }) => {
      const result = verifyWebhook({
        provider: 'guuru',
        secret: 'secr3t',
        headers: { 'X-Guuru-Hmac-Sha256': signature },
        rawBody: Buffer.from(body, 'utf8'),
      });
      expect(result.deliveryId).toMatch(/^[0-9a-f]{32}$/);
      expect(result.deliveryId).not.toContain(signature);
      expect(result.timestamp).toBeUndefined();
    },
  );

  it.each(EXAMPLES.map((example, index) => [index + 1, example] as const))(
    'rejects published example %i with another secret or any changed byte',
    (_index, { body, signature }) => {
      const headers = { 'x-guuru-hmac-sha256': signature };
      const rawBody = Buffer.from(body, 'utf8');
      expect(reasonOf(() => verifyWebhook({ provider: 'guuru', secret: 'secr3T', headers, rawBody }))).toBe(
        'invalid_signature',
      );
      for (let offset = 0; offset < rawBody.length; offset += 7) {
        const tampered = Buffer.from(rawBody);
        tampered[offset] = tampered[offset]! ^ 0x01;
        expect(reasonOf(() => verifyWebhook({ provider: 'guuru', secret: 'secr3t', headers, rawBody: tampered }))).toBe(
          'invalid_signature',
        );
      }
    },
  );

  it('round-trips sign then verify', () => {
    const signed = signWebhook({ provider: 'guuru', secret: 's', payload: { question: 'hi' } });
    expect(signed.headers['content-type']).toBe('application/json');
    expect(() =>
      verifyWebhook({ provider: 'guuru', secret: 's', headers: signed.headers, rawBody: signed.body }),
    ).not.toThrow();
  });

  it('round-trips with the delivery id a digest of the signature, no event and no timestamp', () => {
    const signed = signWebhook({ provider: 'guuru', secret: 's', payload: EXAMPLES[1]!.body });
    const signature = signed.headers['x-guuru-hmac-sha256']!;
    expect(signature).toBe(createHmac('sha256', 's').update(Buffer.from(EXAMPLES[1]!.body, 'utf8')).digest('hex'));
    const result = verifyWebhook({ provider: 'guuru', secret: 's', headers: signed.headers, rawBody: signed.body });
    expect(result.deliveryId).toMatch(/^[0-9a-f]{32}$/);
    expect(result.deliveryId).toBe(
      createHash('sha256').update(Buffer.from(signature, 'hex')).digest('hex').slice(0, 32),
    );
    expect(signature).not.toContain(result.deliveryId);
    expect(result.event).toBeUndefined();
    expect(result.timestamp).toBeUndefined();
  });

  it('signs the payload bytes as given (UTF-8 of João), not a re-serialisation', () => {
    const { body, signature } = EXAMPLES[1]!;
    const signed = signWebhook({ provider: 'guuru', secret: 'secr3t', payload: Buffer.from(body, 'utf8') });
    expect(signed.headers['x-guuru-hmac-sha256']).toBe(signature);
    expect(signed.body.equals(Buffer.from(body, 'utf8'))).toBe(true);
    const latin1 = Buffer.from(body, 'latin1');
    expect(
      reasonOf(() => verifyWebhook({ provider: 'guuru', secret: 'secr3t', headers: signed.headers, rawBody: latin1 })),
    ).toBe('invalid_signature');
  });

  it('does not crash when the header is missing, empty or sent twice', () => {
    const rawBody = Buffer.from(EXAMPLES[0]!.body, 'utf8');
    const { signature } = EXAMPLES[0]!;
    const verify = (headers: Record<string, string | string[]>) => () =>
      verifyWebhook({ provider: 'guuru', secret: 'secr3t', headers, rawBody });
    expect(reasonOf(verify({}))).toBe('missing_signature');
    expect(reasonOf(verify({ 'x-guuru-hmac-sha256': '' }))).toBe('missing_signature');
    expect(reasonOf(verify({ 'x-guuru-hmac-sha256': [signature, signature] }))).toBe('malformed_signature');
    expect(reasonOf(verify({ 'x-guuru-hmac-sha256': ['a', 'b'] }))).toBe('malformed_signature');
    expect(reasonOf(verify({ 'x-guuru-hmac-sha256': signature.slice(1) }))).toBe('malformed_signature');
    expect(reasonOf(verify({ 'x-guuru-hmac-sha256': `${signature.slice(2)}zz` }))).toBe('malformed_signature');
    expect(reasonOf(verify({ 'x-guuru-hmac-sha256': signature.slice(0, 62) }))).toBe('malformed_signature');
    expect(verify({ 'x-guuru-hmac-sha256': [signature] })().deliveryId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('verifies with a rotation list where only the second secret matches', () => {
    const { body, signature } = EXAMPLES[2]!;
    const result = verifyWebhook({
      provider: 'guuru',
      secret: ['retired', 'secr3t'],
      headers: { 'x-guuru-hmac-sha256': signature },
      rawBody: Buffer.from(body, 'utf8'),
    });
    expect(result.deliveryId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('needs a secret', () => {
    const rawBody = Buffer.from(EXAMPLES[0]!.body, 'utf8');
    const headers = { 'x-guuru-hmac-sha256': EXAMPLES[0]!.signature };
    expect(() => verifyWebhook({ provider: 'guuru', headers, rawBody })).toThrow(WebhookConfigurationError);
    expect(() => verifyWebhook({ provider: 'guuru', secret: [], headers, rawBody })).toThrow(WebhookConfigurationError);
  });
});
