import type { IncomingHttpHeaders } from 'node:http';
import type { TLSSocket } from 'node:tls';

/**
 * The URL a client called, rebuilt as senders that sign it (Twilio, Square, HubSpot) wrote
 * it: `X-Forwarded-Proto` and `X-Forwarded-Host` first (their first value), else the
 * connection's protocol and the `Host` header; then the path and query as received.
 * Trusting the forwarded headers is safe here: they only choose which URL the signature must
 * cover, and a signature over another URL proves nothing about this one.
 */
export function requestUrl(headers: IncomingHttpHeaders, socket: unknown, pathAndQuery: string): string {
  const protocol =
    firstValue(headers['x-forwarded-proto']) ?? ((socket as TLSSocket | undefined)?.encrypted ? 'https' : 'http');
  const host = firstValue(headers['x-forwarded-host']) ?? firstValue(headers.host) ?? 'localhost';
  return `${protocol}://${host}${pathAndQuery}`;
}

function firstValue(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const first = value?.split(',', 1)[0]?.trim();
  return first === '' ? undefined : first;
}
