import crypto, { createHmac, timingSafeEqual } from 'node:crypto';
import { signWebhook } from '../../lib/index.js';
import { vercelProvider } from '../../lib/providers/vercel.provider.js';
import type { SenderFixture, WireDelivery } from './sender-fixture.js';

const SECRET = 'vc-whsec-Qm9RyLb4Tz7Nw2Xc5Vd8Fg1Hj';
const EVENT_ID = 'evt_Kq7z3XbT2mWn9RcV5dLp8YsH';
const SIGNATURE_HEADER = 'x-vercel-signature';

/** A `deployment.succeeded` event as Vercel posts it (trimmed; a UTF-8 commit message). */
export const VERCEL_DEPLOYMENT_BODY = JSON.stringify({
  id: EVENT_ID,
  type: 'deployment.succeeded',
  createdAt: 1714564800123,
  region: 'iad1',
  payload: {
    team: { id: 'team_9Fh2LkQw3ZxCv7Bn1Mp4Rt6Y' },
    user: { id: 'Xk2Lm9Np4Qr7St1Uv3Wx5Yz8' },
    deployment: {
      id: 'dpl_5vWq2Lk8Nm3Rx7Tz1Bc4Df6G',
      url: 'acme-web-3f9k2m1x7-acme.vercel.app',
      name: 'acme-web',
      meta: { githubCommitRef: 'main', githubCommitMessage: 'Corrige a tradução do rodapé' },
    },
    links: {
      deployment: 'https://vercel.com/acme/acme-web/5vWq2Lk8Nm3Rx7Tz1Bc4Df6G',
      project: 'https://vercel.com/acme/acme-web',
    },
    target: 'production',
    project: { id: 'prj_8Hn3Jk5Lm7Np9Qr2St4Uv6W' },
    plan: 'pro',
    regions: ['iad1'],
  },
});

/** A header's value, whatever case the delivery wrote its name in. */
function headerOf(delivery: WireDelivery, name: string): string | undefined {
  return Object.entries(delivery.headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/** The helper of Vercel's snippet, as published. */
function sha1(data: Buffer, secret: string): string {
  return crypto.createHmac('sha1', secret).update(data).digest('hex');
}

/**
 * Vercel has no SDK that verifies webhooks: the delivery is what `signWebhook` writes, and
 * `sdkAccepts` is the snippet of Vercel's webhook documentation, step for step.
 */
export const vercelSender: SenderFixture = {
  provider: 'vercel',
  secret: SECRET,
  signedBy: "signWebhook, checked by the snippet of Vercel's documentation (no SDK)",

  delivery() {
    const signed = signWebhook({
      provider: vercelProvider,
      secret: SECRET,
      payload: Buffer.from(VERCEL_DEPLOYMENT_BODY, 'utf8'),
    });
    return { headers: { ...signed.headers, 'User-Agent': 'Vercel-Webhook/1.0' }, body: signed.body };
  },

  expected: { deliveryId: EVENT_ID, event: 'deployment.succeeded' },

  sdkAccepts({ delivery }) {
    // const rawBody = await request.text();  (a Request decodes the body as UTF-8)
    const rawBody = new TextDecoder().decode(delivery.body);
    const rawBodyBuffer = Buffer.from(rawBody, 'utf-8');
    const bodySignature = sha1(rawBodyBuffer, SECRET);
    return bodySignature === headerOf(delivery, SIGNATURE_HEADER);
  },

  floor({ delivery }) {
    const received = Buffer.from(headerOf(delivery, SIGNATURE_HEADER)!, 'hex');
    const expected = createHmac('sha1', SECRET).update(delivery.body).digest();
    return received.length === expected.length && timingSafeEqual(received, expected);
  },
};
