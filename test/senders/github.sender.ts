import { createHmac, timingSafeEqual } from 'node:crypto';
import { sign, verify } from '@octokit/webhooks-methods';
import type { SenderFixture, WireDelivery } from './sender-fixture.js';

const SECRET = 'gh-whsec-3f9c1e7a5b2d4c6e8a0b1c2d3e4f5a6b';
const DELIVERY_ID = 'f2c1a8e0-9b3d-11ef-8d7a-4e2f0c6b9a13';
const SIGNATURE_HEADER = 'x-hub-signature-256';

/** A push event as GitHub posts it (trimmed to the fields a handler reads; the author's name in UTF-8). */
export const GITHUB_PUSH_BODY = JSON.stringify({
  ref: 'refs/heads/main',
  before: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
  after: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
  repository: {
    id: 186853002,
    node_id: 'MDEwOlJlcG9zaXRvcnkxODY4NTMwMDI=',
    name: 'hello-world',
    full_name: 'octo-org/hello-world',
    private: false,
    owner: { name: 'octo-org', login: 'octo-org', id: 6811672, type: 'Organization' },
    html_url: 'https://github.com/octo-org/hello-world',
    default_branch: 'main',
  },
  pusher: { name: 'joão-s', email: 'joao@example.com' },
  sender: { login: 'joao-s', id: 21031067, type: 'User' },
  created: false,
  deleted: false,
  forced: false,
  compare: 'https://github.com/octo-org/hello-world/compare/6113728f27ae...0d1a26e67d8f',
  commits: [
    {
      id: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
      tree_id: 'f9d2a07e9488b91af2641b26b9407fe22a451433',
      distinct: true,
      message: 'Atualiza o README — acentuação',
      timestamp: '2024-05-01T14:00:00+02:00',
      url: 'https://github.com/octo-org/hello-world/commit/0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
      author: { name: 'João Silva', email: 'joao@example.com', username: 'joao-s' },
      added: [],
      removed: [],
      modified: ['README.md'],
    },
  ],
  head_commit: { id: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c', message: 'Atualiza o README — acentuação' },
});

/** A header's value, whatever case the delivery wrote its name in. */
function headerOf(delivery: WireDelivery, name: string): string | undefined {
  const entry = Object.entries(delivery.headers).find(([key]) => key.toLowerCase() === name);
  return entry?.[1];
}

/** GitHub, signed by `@octokit/webhooks-methods` (its `sign` is what GitHub computes) and checked by its `verify`. */
export const githubSender: SenderFixture = {
  provider: 'github',
  secret: SECRET,
  signedBy: '@octokit/webhooks-methods sign',

  async delivery() {
    return {
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'GitHub-Hookshot/8c6d1b3',
        'X-GitHub-Delivery': DELIVERY_ID,
        'X-GitHub-Event': 'push',
        'X-GitHub-Hook-ID': '482193077',
        'X-GitHub-Hook-Installation-Target-ID': '186853002',
        'X-GitHub-Hook-Installation-Target-Type': 'repository',
        'X-Hub-Signature-256': await sign(SECRET, GITHUB_PUSH_BODY),
      },
      body: Buffer.from(GITHUB_PUSH_BODY, 'utf8'),
    };
  },

  expected: { deliveryId: DELIVERY_ID, event: 'push' },

  async sdkAccepts({ delivery }) {
    const signature = headerOf(delivery, SIGNATURE_HEADER);
    // Octokit throws a TypeError for a missing signature or an empty body: that is a refusal.
    if (!signature || delivery.body.length === 0) return false;
    return verify(SECRET, delivery.body.toString('utf8'), signature);
  },

  floor({ delivery }) {
    const received = Buffer.from(headerOf(delivery, SIGNATURE_HEADER)!.slice('sha256='.length), 'hex');
    const expected = createHmac('sha256', SECRET).update(delivery.body).digest();
    return received.length === expected.length && timingSafeEqual(received, expected);
  },
};
