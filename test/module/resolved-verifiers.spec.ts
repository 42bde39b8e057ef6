import { describe, expect, it } from '@jest/globals';
import { resolveProvider } from '../../lib/index.js';
import { ResolvedVerifiers } from '../../lib/module/resolved-verifiers.js';
import type { WebhookSecretContext } from '../../lib/index.js';

describe('ResolvedVerifiers', () => {
  /** Verifiers whose resolver knows the tenants `known` accepts, recording every lookup. */
  function verifiers(maxEntries: number, cacheSeconds = 60, known: (tenant?: string) => boolean = () => true) {
    const asked: (string | undefined)[] = [];
    const resolved = new ResolvedVerifiers({
      source: 'guuru',
      provider: resolveProvider('guuru'),
      resolver: ({ tenant }: WebhookSecretContext) => {
        asked.push(tenant);
        return known(tenant) ? `secret-of-${tenant ?? 'none'}` : undefined;
      },
      token: undefined,
      toleranceSeconds: 0,
      cacheSeconds,
      maxEntries,
    });
    return { resolved, asked };
  }

  it('remembers at most maxEntries tenants, forgetting the least recently used first', async () => {
    const { resolved, asked } = verifiers(2);
    for (const tenant of ['a', 'b', 'a', 'c', 'a', 'b']) await resolved.verifierFor(tenant, {});
    // 'c' pushed out 'b' (used less recently than 'a'); 'a' stayed; 'b' is asked for again.
    expect(asked).toEqual(['a', 'b', 'c', 'b']);
  });

  it('keeps unknown tenants apart, so a flood of made-up ones cannot push out the real ones', async () => {
    const { resolved, asked } = verifiers(10, 60, (tenant) => tenant === 'real');
    await resolved.verifierFor('real', {});
    for (let i = 0; i < 50; i += 1) await expect(resolved.verifierFor(`made-up-${i}`, {})).rejects.toThrow(/no secret/);
    await resolved.verifierFor('real', {});
    expect(asked.filter((tenant) => tenant === 'real')).toHaveLength(1);
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
