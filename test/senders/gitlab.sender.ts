import { hash, timingSafeEqual } from 'node:crypto';
import { signWebhook } from '../../lib/index.js';
import { gitlabProvider } from '../../lib/providers/gitlab.provider.js';
import type { SenderFixture, WireDelivery } from './sender-fixture.js';

const SECRET = 'glwt-7Hq2Zp9Lm4Xv1Rc8Tb3Nd6Kf';
const IDEMPOTENCY_KEY = 'f5e5f430-f57b-4e6e-9fac-d9128cd7232f';
const TOKEN_HEADER = 'x-gitlab-token';
const SECRET_DIGEST = hash('sha256', SECRET, 'buffer');

/** A `Merge Request Hook` as GitLab posts it (trimmed to the fields a handler reads; a UTF-8 title). */
export const GITLAB_MERGE_REQUEST_BODY = JSON.stringify({
  object_kind: 'merge_request',
  event_type: 'merge_request',
  user: { id: 1, name: 'Rosário Lima', username: 'rlima', email: '[REDACTED]' },
  project: {
    id: 1,
    name: 'Gitlab Test',
    web_url: 'https://gitlab.example.com/gitlabhq/gitlab-test',
    path_with_namespace: 'gitlabhq/gitlab-test',
    default_branch: 'main',
  },
  object_attributes: {
    id: 99,
    iid: 1,
    target_branch: 'main',
    source_branch: 'ms-viewport',
    title: 'Ajusta a navegação em ecrãs pequenos',
    state: 'opened',
    action: 'open',
    merge_status: 'unchecked',
    url: 'https://gitlab.example.com/gitlabhq/gitlab-test/-/merge_requests/1',
    last_commit: { id: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', message: 'fixed readme' },
    created_at: '2024-05-01 11:59:40 UTC',
    updated_at: '2024-05-01 11:59:40 UTC',
  },
  labels: [],
  changes: {},
  repository: { name: 'Gitlab Test', homepage: 'https://gitlab.example.com/gitlabhq/gitlab-test' },
});

/** A header's value, whatever case the delivery wrote its name in. */
function headerOf(delivery: WireDelivery, name: string): string | undefined {
  return Object.entries(delivery.headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/**
 * GitLab has no SDK and signs nothing: the delivery is what `signWebhook` writes (the headers
 * GitLab's WebHookService sends), and `sdkAccepts` is the documented check: the
 * `X-Gitlab-Token` header equals the secret token.
 */
export const gitlabSender: SenderFixture = {
  provider: 'gitlab',
  secret: SECRET,
  signedBy: "signWebhook, checked by GitLab's documented token check (no SDK)",

  delivery() {
    const signed = signWebhook({
      provider: gitlabProvider,
      secret: SECRET,
      id: IDEMPOTENCY_KEY,
      event: 'Merge Request Hook',
      payload: Buffer.from(GITLAB_MERGE_REQUEST_BODY, 'utf8'),
    });
    return {
      headers: { ...signed.headers, 'User-Agent': 'GitLab/17.5.1', 'X-Gitlab-Instance': 'https://gitlab.example.com' },
      body: signed.body,
    };
  },

  expected: { deliveryId: IDEMPOTENCY_KEY, event: 'Merge Request Hook' },

  sdkAccepts({ delivery }) {
    // "If you specify a secret token, it is sent with the hook request in the X-Gitlab-Token HTTP header."
    return headerOf(delivery, TOKEN_HEADER) === SECRET;
  },

  // The least node:crypto work for what the preset promises: a constant-time comparison that does not
  // reveal the token's length, so the received token is hashed and compared with the secret's digest.
  floor({ delivery }) {
    const received = hash('sha256', headerOf(delivery, TOKEN_HEADER) ?? '', 'buffer');
    return timingSafeEqual(received, SECRET_DIGEST);
  },
};
