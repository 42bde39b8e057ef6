import { describe, expect, it } from '@jest/globals';
import { resolveProvider } from '../../lib/providers/index.js';
import { ResolvedVerifiers } from '../../lib/module/resolved-verifiers.js';
import type { WebhookSecretContext } from '../../lib/index.js';

describe('ResolvedVerifiers', () => {
  function verifiers(maxEntries: number, cacheSeconds = 60) {
    const asked: (string | undefined)[] = [];
    const resolved = new ResolvedVerifiers({
      source: 'guuru',
      provider: resolveProvider('guuru'),
      resolver: ({ tenant }: WebhookSecretContext) => {
        asked.push(tenant);
        return `secret-of-${tenant ?? 'none'}`;
      },
      token: undefined,
      toleranceSeconds: 0,
      cacheSeconds,
      maxEntries,
    });
    return { resolved, asked };
  }

  it('remembers at most maxEntries tenants, forgetting the oldest first', async () => {
    const { resolved, asked } = verifiers(2);
    for (const tenant of ['a', 'b', 'c', 'b', 'a']) await resolved.verifierFor(tenant, {});
    // 'a' was pushed out by 'c'; 'b' stayed; 'a' is asked for again.
    expect(asked).toEqual(['a', 'b', 'c', 'a']);
  });

  it('keeps the route without a tenant apart from every tenant', async () => {
    const { resolved, asked } = verifiers(10);
    const withoutTenant = await resolved.verifierFor(undefined, {});
    const withTenant = await resolved.verifierFor('none', {});
    expect(asked).toEqual([undefined, 'none']);
    expect(withoutTenant).not.toBe(withTenant);
  });

  it('signs with what the resolver answered, so the verifier it returns accepts it', async () => {
    const { resolved } = verifiers(10);
    const verifier = await resolved.verifierFor('acme', {});
    const { headers, body } = verifier.sign({ payload: { question: 'hi' } });
    expect(verifier.verify(headers, body).deliveryId).toBeDefined();
  });
});
