import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Signature } from '@hubspot/api-client/lib/src/utils/signature.js';
import type { SenderFixture, WireDelivery } from './sender-fixture.js';

const CLIENT_SECRET = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const SIGNATURE_HEADER = 'x-hubspot-signature-v3';
const TIMESTAMP_HEADER = 'x-hubspot-request-timestamp';

/** A batch of two CRM events as HubSpot posts them (a property change carrying UTF-8). */
export const HUBSPOT_EVENTS_BODY = JSON.stringify([
  {
    eventId: 1871893409,
    subscriptionId: 2241067,
    portalId: 62515,
    appId: 1160452,
    occurredAt: 1714564800000,
    subscriptionType: 'contact.propertyChange',
    attemptNumber: 0,
    objectId: 51,
    propertyName: 'firstname',
    propertyValue: 'João',
    changeSource: 'CRM_UI',
    sourceId: 'userId:8146215',
  },
  {
    eventId: 1871893410,
    subscriptionId: 2241070,
    portalId: 62515,
    appId: 1160452,
    occurredAt: 1714564800412,
    subscriptionType: 'deal.creation',
    attemptNumber: 0,
    objectId: 9071,
    changeFlag: 'NEW',
    changeSource: 'CRM_UI',
    sourceId: 'userId:8146215',
  },
]);

/**
 * The URI as HubSpot's documentation says to build it before signing: these twelve escapes
 * decoded (the SDK takes the URI as given, so its callers must do this).
 */
export function hubspotSignedUri(url: string): string {
  return url.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (escape) =>
    String.fromCharCode(parseInt(escape.slice(1), 16)),
  );
}

function headerOf(delivery: WireDelivery, name: string): string | undefined {
  return Object.entries(delivery.headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/**
 * The delivery id the library must give a batch, worked out here independently: the first 32
 * hex characters of the SHA-256 of the events written again without their `attemptNumber`
 * (HubSpot raises it on every retry). The same for every delivery of {@link HUBSPOT_EVENTS_BODY}.
 */
export function hubspotDeliveryId(body: string): string {
  const events = (JSON.parse(body) as Record<string, unknown>[]).map((event) =>
    Object.fromEntries(Object.entries(event).filter(([key]) => key !== 'attemptNumber')),
  );
  return createHash('sha256').update(JSON.stringify(events)).digest('hex').slice(0, 32);
}

/** The time of the last delivery made. */
let lastTimestamp: Date | undefined;

/**
 * HubSpot, signed by `@hubspot/api-client`'s `Signature.getSignature` (v3) and checked by its
 * `Signature.isValid` with the clock at `now`.
 */
export const hubspotSender: SenderFixture = {
  provider: 'hubspot',
  secret: CLIENT_SECRET,
  signsUrl: true,
  signedBy: '@hubspot/api-client Signature.getSignature (v3)',

  delivery({ url, now }) {
    const timestamp = now.getTime();
    const options = { signature: '', clientSecret: CLIENT_SECRET, requestBody: HUBSPOT_EVENTS_BODY, timestamp };
    const v3 = Signature.getSignature('POST', 'v3', { ...options, url: hubspotSignedUri(url) });
    lastTimestamp = new Date(timestamp);
    return {
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'HubSpot Connect 2.0 (http://dev.hubspot.com/)',
        'X-HubSpot-Signature': Signature.getSignature('POST', 'v1', options),
        'X-HubSpot-Signature-Version': 'v1',
        'X-HubSpot-Signature-v3': v3,
        'X-HubSpot-Request-Timestamp': String(timestamp),
      },
      body: Buffer.from(HUBSPOT_EVENTS_BODY, 'utf8'),
    };
  },

  /** The facts of the last {@link delivery}: HubSpot sends no id (the body's digest stands in); its time. */
  get expected() {
    return { deliveryId: hubspotDeliveryId(HUBSPOT_EVENTS_BODY), event: undefined, timestamp: lastTimestamp };
  },

  sdkAccepts({ delivery, url, now }) {
    const signature = headerOf(delivery, SIGNATURE_HEADER);
    const timestamp = headerOf(delivery, TIMESTAMP_HEADER);
    if (!signature || !timestamp) return false;
    // isValid reads Date.now(): run it with the clock at `now` (it is synchronous).
    const clock = Date.now;
    Date.now = () => now.getTime();
    try {
      return Signature.isValid({
        signatureVersion: 'v3',
        signature,
        clientSecret: CLIENT_SECRET,
        requestBody: delivery.body.toString('utf8'),
        url: hubspotSignedUri(url),
        method: delivery.method ?? 'POST',
        timestamp: Number(timestamp),
      });
    } catch {
      return false; // "Timestamp is invalid, reject request"
    } finally {
      Date.now = clock;
    }
  },

  floor({ delivery, url }) {
    const received = Buffer.from(headerOf(delivery, SIGNATURE_HEADER)!, 'base64');
    const expected = createHmac('sha256', CLIENT_SECRET)
      .update(delivery.method ?? 'POST')
      .update(hubspotSignedUri(url))
      .update(delivery.body)
      .update(headerOf(delivery, TIMESTAMP_HEADER)!)
      .digest();
    return received.length === expected.length && timingSafeEqual(received, expected);
  },
};
