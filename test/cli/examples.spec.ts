import { describe, expect, it } from '@jest/globals';
import { registeredProviderNames, resolveProvider, signWebhook, verifyWebhook } from '../../lib/entries/core.js';
import { credentialsFor } from './credentials.js';

const URL = 'https://hooks.example.com/webhooks/cli?source=examples';

describe("the providers' examples (what send and sign use when no payload is given)", () => {
  const names = registeredProviderNames();

  it('every registered provider has one or two, each of a different event', () => {
    expect(names).toHaveLength(30);
    for (const name of names) {
      const examples = resolveProvider(name).examples ?? [];
      const events = new Set(examples.map((example) => example.event));
      expect({ name, oneOrTwo: [1, 2].includes(examples.length), distinct: events.size === examples.length }).toEqual({
        name,
        oneOrTwo: true,
        distinct: true,
      });
    }
  });

  it.each(names)('%s: each example signs, verifies, and reads back as the event it is filed under', (name) => {
    const provider = resolveProvider(name);
    const { secret, privateKeyPem } = credentialsFor(name);
    for (const example of provider.examples ?? []) {
      const signed = signWebhook({
        provider: name,
        secret,
        payload: example.payload,
        event: example.event,
        url: URL,
        privateKey: privateKeyPem,
      });
      const verified = verifyWebhook({
        provider: name,
        secret,
        headers: signed.headers,
        rawBody: signed.body,
        url: URL,
      });
      expect({ name, event: verified.event }).toEqual({ name, event: example.event });
    }
  });
});
