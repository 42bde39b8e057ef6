import type { VerifiedAttempt } from './delivery-attempt.js';

// Keyed by the request object itself, so nothing is written onto the platform's request.
const verifiedByRequest = new WeakMap<object, VerifiedAttempt>();

/** Records what the guard proved about a request. */
export function rememberVerified(request: object, attempt: VerifiedAttempt): void {
  verifiedByRequest.set(request, attempt);
}

/** What the guard proved about a request, if it ran. */
export function verifiedOf(request: object): VerifiedAttempt | undefined {
  return verifiedByRequest.get(request);
}
