import type { VerifiedAttempt } from './delivery-attempt.js';

/**
 * Where the guard leaves what it proved, on the request object itself: a property under a
 * symbol of this module's own, which no platform code, `Object.keys` or `JSON.stringify`
 * sees. It costs a property write, where a WeakMap entry costs an ephemeron the garbage
 * collector must trace for every request in flight.
 */
const VERIFIED = Symbol('nestjs-signed-webhooks: verified attempt');

interface WithVerified {
  [VERIFIED]?: VerifiedAttempt;
}

/** Records what the guard proved about a request. */
export function rememberVerified(request: object, attempt: VerifiedAttempt): void {
  (request as WithVerified)[VERIFIED] = attempt;
}

/** What the guard proved about a request, if it ran. */
export function verifiedOf(request: object): VerifiedAttempt | undefined {
  return (request as WithVerified)[VERIFIED];
}
