import type { IncomingMessage } from 'node:http';
import { WebhookBodyError } from '../core/errors/index.js';
import {
  bodyStreamFailed,
  bodyTooLarge,
  clientGoneBeforeBody,
  clientGoneDuringBody,
} from '../core/errors/webhook.messages.js';

/** How much of a refused body is still read and dropped, so the sender reads the 413. */
export const LINGER_MAX_BYTES = 16 * 1024 * 1024;
/** How long a refused body may keep arriving before the connection is closed anyway. */
export const LINGER_MAX_MS = 10_000;

/** Whether anything has read from the request stream yet. */
export function isStreamUntouched(request: IncomingMessage): boolean {
  return !request.readableDidRead && !request.readableEnded && request.readableFlowing !== true;
}

/**
 * Reads a request body, refusing it as soon as it is known to exceed `maxBytes`: by its
 * content-length before reading, or by the bytes counted while reading, so a huge body is
 * never buffered. What a refused body still sends is dropped (see {@link lingerOn}).
 */
export function readBodyStream(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    lingerOn(request);
    return Promise.reject(tooLarge(maxBytes));
  }
  // A client gone before we got here would never emit another event: answer now rather than wait forever.
  if (request.destroyed || request.readableAborted) {
    return Promise.reject(new WebhookBodyError('body_unreadable', clientGoneBeforeBody()));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        lingerOn(request, size);
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(new WebhookBodyError('body_unreadable', bodyStreamFailed(error.message)));
    };
    const onClose = (): void => {
      cleanup();
      reject(new WebhookBodyError('body_unreadable', clientGoneDuringBody()));
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('close', onClose);
    // A stream paused by earlier code would not flow by itself.
    request.resume();
  });
}

/**
 * A lingering close, as nginx does it: after a body is refused, what the client is still
 * sending is read and dropped, so it finishes writing and reads the answer (closing at once
 * would cut it off mid-write, and a sender would see a network error and retry forever).
 * Bounded: past {@link LINGER_MAX_BYTES} in all, or {@link LINGER_MAX_MS}, the connection is closed.
 */
export function lingerOn(request: IncomingMessage, alreadyRead = 0): void {
  let read = alreadyRead;
  const close = (): void => {
    request.socket?.destroy();
  };
  const timer = setTimeout(close, LINGER_MAX_MS);
  timer.unref();
  const done = (): void => {
    clearTimeout(timer);
    request.off('data', onData);
  };
  const onData = (chunk: Buffer): void => {
    read += chunk.length;
    if (read > LINGER_MAX_BYTES) {
      done();
      close();
    }
  };
  request.on('data', onData);
  request.once('end', done);
  request.once('close', done);
  request.on('error', done);
  request.resume();
}

/** The 413 rejection for a body over the limit. */
export function tooLarge(maxBytes: number): WebhookBodyError {
  return new WebhookBodyError('body_too_large', bodyTooLarge(maxBytes));
}
