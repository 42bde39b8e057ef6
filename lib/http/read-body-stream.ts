import type { IncomingMessage } from 'node:http';
import { WebhookBodyError } from './webhook-body.error.js';

/** Whether anything has read from the request stream yet. */
export function isStreamUntouched(request: IncomingMessage): boolean {
  return !request.readableDidRead && !request.readableEnded && request.readableFlowing !== true;
}

/**
 * Reads a request body, refusing it as soon as it is known to exceed `maxBytes`:
 * by its content-length before reading, or by the bytes counted while reading, so a
 * huge body is never buffered.
 */
export function readBodyStream(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  // A client gone before we got here would never emit another event: answer now rather than wait forever.
  if (request.destroyed || request.readableAborted) {
    return Promise.reject(
      new WebhookBodyError('body_unreadable', 'The client closed the connection before the body was read.'),
    );
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
        request.pause();
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
      reject(new WebhookBodyError('body_unreadable', `The request body could not be read: ${error.message}`));
    };
    const onClose = (): void => {
      cleanup();
      reject(new WebhookBodyError('body_unreadable', 'The client closed the connection before the body was complete.'));
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('close', onClose);
    // A stream paused by earlier code would not flow by itself.
    request.resume();
  });
}

/** The 413 rejection for a body over the limit. */
export function tooLarge(maxBytes: number): WebhookBodyError {
  return new WebhookBodyError('body_too_large', `The body is larger than the ${maxBytes}-byte limit.`);
}
