import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  signWebhook,
  verifyWebhook,
  WebhookConfigurationError,
  WebhookVerifier,
  type WebhookHeaders,
} from '../../lib/index.js';
import { gitlabProvider } from '../../lib/providers/gitlab.provider.js';
import { GITLAB_MERGE_REQUEST_BODY, gitlabSender } from '../senders/gitlab.sender.js';
import { flipByte, reasonOf, replaceCharAt } from '../core/rejections.js';

const TOKEN = 'gl-secret-token-4Kd9';
const IDEMPOTENCY_KEY = 'f5e5f430-f57b-4e6e-9fac-d9128cd7232f';
const EVENT_UUID = '13792a34-cac6-4fda-95a8-c58e00a3954e';
const URL = 'https://hooks.example.com/webhooks/gitlab';
const NOW = new Date('2024-05-01T12:00:00Z');

/** The headers GitLab's WebHookService#build_headers writes (GitLab 17.4+). */
function gitlabHeaders(token = TOKEN): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'User-Agent': 'GitLab/17.5.1',
    'Idempotency-Key': IDEMPOTENCY_KEY,
    'X-Gitlab-Event': 'Merge Request Hook',
    'X-Gitlab-Webhook-UUID': '02affd2d-2cba-4033-917d-ec22d5dc4b38',
    'X-Gitlab-Instance': 'https://gitlab.example.com',
    'X-Gitlab-Token': token,
    'X-Gitlab-Event-UUID': EVENT_UUID,
  };
}

/** The same without Idempotency-Key, as GitLab before 17.4 sends it. */
function olderGitlabHeaders(token = TOKEN): Record<string, string> {
  const headers = gitlabHeaders(token);
  delete headers['Idempotency-Key'];
  return headers;
}

function verifyGitlab(
  headers: WebhookHeaders,
  body: string | Buffer = GITLAB_MERGE_REQUEST_BODY,
  secret: string | string[] = TOKEN,
) {
  return verifyWebhook({ provider: gitlabProvider, secret, headers, rawBody: Buffer.from(body) });
}

function bodyDigest(body: string | Buffer): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 32);
}

describe('gitlab provider', () => {
  describe("against GitLab's documented token check", () => {
    it('verifies a delivery with the headers GitLab sends: id from Idempotency-Key, event from X-Gitlab-Event', () => {
      expect(verifyGitlab(gitlabHeaders())).toEqual({
        deliveryId: IDEMPOTENCY_KEY,
        event: 'Merge Request Hook',
        timestamp: undefined,
      });
    });

    it('refuses a token with any one character changed, added or removed as invalid_token', () => {
      for (let index = 0; index < TOKEN.length; index += 1) {
        const changed = replaceCharAt(TOKEN, index, TOKEN[index] === 'x' ? 'y' : 'x');
        expect(reasonOf(() => verifyGitlab(gitlabHeaders(changed)))).toBe('invalid_token');
      }
      expect(reasonOf(() => verifyGitlab(gitlabHeaders(`${TOKEN}x`)))).toBe('invalid_token');
      expect(reasonOf(() => verifyGitlab(gitlabHeaders(TOKEN.slice(0, -1))))).toBe('invalid_token');
      expect(reasonOf(() => verifyGitlab(gitlabHeaders(` ${TOKEN}`)))).toBe('invalid_token');
      expect(reasonOf(() => verifyGitlab(gitlabHeaders(TOKEN.toUpperCase())))).toBe('invalid_token');
    });

    it('signs nothing: a changed body verifies as long as the token is right (GitLab sends no signature)', () => {
      const changed = flipByte(Buffer.from(GITLAB_MERGE_REQUEST_BODY), 12, 0x01);
      expect(verifyGitlab(gitlabHeaders(), changed).deliveryId).toBe(IDEMPOTENCY_KEY);
    });

    it('writes what the documented check accepts, and the check refuses another token', async () => {
      const signed = signWebhook({
        provider: gitlabProvider,
        secret: TOKEN,
        id: IDEMPOTENCY_KEY,
        event: 'Push Hook',
        payload: GITLAB_MERGE_REQUEST_BODY,
      });
      expect(signed.headers).toEqual({
        'content-type': 'application/json',
        'x-gitlab-token': TOKEN,
        'x-gitlab-event': 'Push Hook',
        'idempotency-key': IDEMPOTENCY_KEY,
        'x-gitlab-event-uuid': expect.stringMatching(/^[0-9a-f-]{36}$/),
        'x-gitlab-webhook-uuid': expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      expect(signed.headers['x-gitlab-token'] === TOKEN).toBe(true);
      const delivery = await gitlabSender.delivery({ url: URL, now: NOW });
      const otherToken = {
        ...delivery,
        headers: { ...delivery.headers, 'x-gitlab-token': `${gitlabSender.secret as string}x` },
      };
      expect(await gitlabSender.sdkAccepts!({ delivery: otherToken, url: URL, now: NOW })).toBe(false);
    });

    it('writes a fresh Idempotency-Key and no event header when none is given', () => {
      const first = signWebhook({ provider: gitlabProvider, secret: TOKEN, payload: '{}' });
      const second = signWebhook({ provider: gitlabProvider, secret: TOKEN, payload: '{}' });
      expect(first.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
      expect(first.headers['idempotency-key']).not.toBe(second.headers['idempotency-key']);
      expect(first.headers['x-gitlab-event']).toBeUndefined();
    });
  });

  describe('the sender fixture', () => {
    it('verifies here with the expected facts', async () => {
      const delivery = await gitlabSender.delivery({ url: URL, now: NOW });
      const result = verifyWebhook({
        provider: gitlabProvider,
        secret: gitlabSender.secret,
        headers: delivery.headers,
        rawBody: delivery.body,
        now: NOW,
      });
      expect({ deliveryId: result.deliveryId, event: result.event }).toEqual(gitlabSender.expected);
    });

    it('has a documented check and a floor that accept it and refuse a changed token', async () => {
      const delivery = await gitlabSender.delivery({ url: URL, now: NOW });
      expect(await gitlabSender.sdkAccepts!({ delivery, url: URL, now: NOW })).toBe(true);
      expect(gitlabSender.floor({ delivery, url: URL })).toBe(true);
      const token = delivery.headers['x-gitlab-token']!;
      const tampered = {
        ...delivery,
        headers: { ...delivery.headers, 'x-gitlab-token': replaceCharAt(token, 3, '#') },
      };
      expect(await gitlabSender.sdkAccepts!({ delivery: tampered, url: URL, now: NOW })).toBe(false);
      expect(gitlabSender.floor({ delivery: tampered, url: URL })).toBe(false);
    });
  });

  describe('delivery id', () => {
    it('before GitLab 17.4, joins X-Gitlab-Event-UUID with a digest of the body', () => {
      expect(verifyGitlab(olderGitlabHeaders()).deliveryId).toBe(
        `${EVENT_UUID}:${bodyDigest(GITLAB_MERGE_REQUEST_BODY)}`,
      );
    });

    it('keeps two events that share an event UUID (a webhook triggered by a webhook) apart, and a repeat together', () => {
      const noteBody = '{"object_kind":"note","object_attributes":{"id":1244,"note":"LGTM"}}';
      const first = verifyGitlab(olderGitlabHeaders()).deliveryId;
      const repeat = verifyGitlab(olderGitlabHeaders()).deliveryId;
      const triggered = verifyGitlab(olderGitlabHeaders(), noteBody).deliveryId;
      expect(repeat).toBe(first);
      expect(triggered).not.toBe(first);
      expect(triggered.startsWith(`${EVENT_UUID}:`)).toBe(true);
    });

    it('uses the digest of the body alone with neither header', () => {
      expect(verifyGitlab({ 'x-gitlab-token': TOKEN, 'x-gitlab-event': 'Push Hook' }).deliveryId).toBe(
        bodyDigest(GITLAB_MERGE_REQUEST_BODY),
      );
    });

    it('refuses Idempotency-Key, X-Gitlab-Event-UUID (when read) or X-Gitlab-Event sent twice', () => {
      const twice = (name: string, headers = gitlabHeaders()) => ({ ...headers, [name]: ['a', 'b'] });
      expect(reasonOf(() => verifyGitlab(twice('Idempotency-Key')))).toBe('malformed_signature');
      expect(reasonOf(() => verifyGitlab(twice('X-Gitlab-Event-UUID', olderGitlabHeaders())))).toBe(
        'malformed_signature',
      );
      expect(reasonOf(() => verifyGitlab(twice('X-Gitlab-Event')))).toBe('malformed_signature');
    });

    it('has no event without X-Gitlab-Event, and no replay window', () => {
      const headers = gitlabHeaders();
      delete headers['X-Gitlab-Event'];
      const later = verifyWebhook({
        provider: gitlabProvider,
        secret: TOKEN,
        headers,
        rawBody: Buffer.from('not json'),
        now: new Date('2040-01-01T00:00:00Z'),
      });
      expect(later).toEqual({ deliveryId: IDEMPOTENCY_KEY, event: undefined, timestamp: undefined });
    });
  });

  describe('rotation and secrets', () => {
    it('verifies a token equal to either secret of [new, old], and not a third', () => {
      for (const token of ['new-token', 'old-token']) {
        expect(
          verifyGitlab(gitlabHeaders(token), GITLAB_MERGE_REQUEST_BODY, ['new-token', 'old-token']).deliveryId,
        ).toBe(IDEMPOTENCY_KEY);
      }
      expect(
        reasonOf(() =>
          verifyGitlab(gitlabHeaders('gone-token'), GITLAB_MERGE_REQUEST_BODY, ['new-token', 'old-token']),
        ),
      ).toBe('invalid_token');
    });

    it('signs with the first secret', () => {
      const signed = signWebhook({ provider: gitlabProvider, secret: ['new-token', 'old-token'], payload: '{}' });
      expect(signed.headers['x-gitlab-token']).toBe('new-token');
    });

    it('compares the token as GitLab sends it: without the line breaks of the configured secret', () => {
      const verifier = new WebhookVerifier({ provider: gitlabProvider, secret: 'abc\r\ndef\nghi' });
      expect(verifier.verify({ 'x-gitlab-token': 'abcdefghi' }, Buffer.from('{}')).event).toBeUndefined();
      expect(reasonOf(() => verifier.verify({ 'x-gitlab-token': 'abc\r\ndef\nghi' }, Buffer.from('{}')))).toBe(
        'invalid_token',
      );
      expect(verifier.sign({ payload: '{}' }).headers['x-gitlab-token']).toBe('abcdefghi');
      expect(gitlabProvider.credentialWarnings!({ secrets: ['abc\ndef'] })).toHaveLength(1);
      expect(gitlabProvider.credentialWarnings!({ secrets: [TOKEN] })).toEqual([]);
    });

    it('reads a non-ASCII token whether the header arrives as Node gives it (bytes as latin1) or as decoded text', () => {
      const token = 'pässwörd-☃';
      const asNodeGivesIt = Buffer.from(token, 'utf8').toString('latin1');
      expect(verifyGitlab(gitlabHeaders(asNodeGivesIt), '{}', token).deliveryId).toBe(IDEMPOTENCY_KEY);
      expect(verifyGitlab(gitlabHeaders(token), '{}', token).deliveryId).toBe(IDEMPOTENCY_KEY);
      expect(reasonOf(() => verifyGitlab(gitlabHeaders(asNodeGivesIt), '{}', 'passwörd-☃'))).toBe('invalid_token');
    });

    it('needs a secret, not only line breaks, and warns that a token setting is not read', () => {
      const headers = gitlabHeaders();
      const rawBody = Buffer.from('{}');
      expect(() => verifyWebhook({ provider: gitlabProvider, headers, rawBody })).toThrow(WebhookConfigurationError);
      expect(() => verifyWebhook({ provider: gitlabProvider, secret: '', headers, rawBody })).toThrow(
        WebhookConfigurationError,
      );
      expect(() => verifyWebhook({ provider: gitlabProvider, secret: '\r\n', headers, rawBody })).toThrow(
        WebhookConfigurationError,
      );
      expect(() => verifyWebhook({ provider: gitlabProvider, token: TOKEN, headers, rawBody })).toThrow(
        WebhookConfigurationError,
      );
      expect(gitlabProvider.credentialWarnings!({ secrets: [TOKEN], token: TOKEN })).toHaveLength(1);
    });
  });

  describe('malformed token headers', () => {
    it.each([
      ['missing', undefined],
      ['empty', ''],
      ['sent twice with the right value', [TOKEN, TOKEN]],
      ['a megabyte long', 'a'.repeat(1 << 20)],
      ['the secret as a hash', createHash('sha256').update(TOKEN).digest('hex')],
    ])('refuses a token header that is %s as invalid_token', (_label, token) => {
      const headers: Record<string, string | string[]> = { ...gitlabHeaders() };
      delete headers['X-Gitlab-Token'];
      if (token !== undefined) headers['x-gitlab-token'] = token;
      expect(reasonOf(() => verifyGitlab(headers))).toBe('invalid_token');
    });

    it('accepts the token as a one-element array, as some frameworks give it', () => {
      expect(verifyGitlab({ 'x-gitlab-token': [TOKEN] }).deliveryId).toBe(bodyDigest(GITLAB_MERGE_REQUEST_BODY));
    });
  });

  it('declares its headers: the token (and a Standard Webhooks signature) is sensitive, ids and event kept', () => {
    expect(gitlabProvider.name).toBe('gitlab');
    expect(gitlabProvider.sensitiveHeaders).toEqual(['x-gitlab-token', 'webhook-signature']);
    expect(gitlabProvider.senderHeaders).toEqual(
      expect.arrayContaining(['x-gitlab-event', 'idempotency-key', 'x-gitlab-event-uuid']),
    );
    expect(gitlabProvider.methods).toEqual(['POST']);
    expect(gitlabProvider.defaultToleranceSeconds).toBeUndefined();
  });
});
