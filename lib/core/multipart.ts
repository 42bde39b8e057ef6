import { randomBytes } from 'node:crypto';
import busboy from 'busboy';
import type { WebhookAttachment, WebhookAttachmentInput } from './webhook-attachment.js';
import { WebhookPayloadError } from './errors/index.js';
import { multipartUnparseable } from './errors/webhook.messages.js';

/** One part of a multipart/form-data body. */
export interface MultipartPart extends WebhookAttachment {
  /** Whether the part was a plain form field (no file name). */
  readonly isField: boolean;
}

/**
 * Splits an already verified multipart/form-data body into its parts with busboy.
 * The body is bounded by the module's size limit before it gets here, so busboy's
 * own per-field limits are lifted rather than silently truncating a part.
 */
export function parseMultipart(body: Buffer, contentType: string): Promise<MultipartPart[]> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { 'content-type': contentType },
        limits: { fieldSize: Number.POSITIVE_INFINITY, fieldNameSize: 1024 },
        preservePath: false,
      });
    } catch (error) {
      reject(unparseable(error));
      return;
    }
    const parts: Promise<MultipartPart>[] = [];
    parser.on('field', (name, value: string | undefined, info) => {
      parts.push(
        Promise.resolve({
          name,
          filename: undefined,
          contentType: info.mimeType,
          // busboy gives no text for a charset it does not know.
          data: Buffer.from(value ?? '', 'utf8'),
          isField: true,
        }),
      );
    });
    parser.on('file', (name, stream, info) => {
      parts.push(
        new Promise((resolveFile, rejectFile) => {
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', rejectFile);
          stream.on('end', () =>
            resolveFile({
              name,
              filename: info.filename,
              contentType: info.mimeType,
              data: Buffer.concat(chunks),
              isField: false,
            }),
          );
        }),
      );
    });
    parser.on('error', (error) => reject(unparseable(error)));
    parser.on('close', () => {
      Promise.all(parts).then(resolve, (error: unknown) => reject(unparseable(error)));
    });
    parser.end(body);
  });
}

function unparseable(error: unknown): WebhookPayloadError {
  const detail = error instanceof Error ? error.message : String(error);
  return new WebhookPayloadError('unparseable_payload', multipartUnparseable(detail));
}

/** A part to write with {@link buildMultipart}. */
export interface MultipartField {
  readonly name: string;
  readonly value: Buffer | string;
  readonly filename?: string;
  readonly contentType?: string;
}

/** Writes a multipart/form-data body, the way browsers and senders do. */
export function buildMultipart(fields: readonly MultipartField[]): { body: Buffer; contentType: string } {
  const boundary = `----nestjs-signed-webhooks-${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const field of fields) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escapeQuoted(field.name)}"`;
    if (field.filename !== undefined) head += `; filename="${escapeQuoted(field.filename)}"`;
    head += '\r\n';
    if (field.contentType !== undefined) head += `Content-Type: ${field.contentType}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`), Buffer.from(field.value), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Attachments as multipart fields, defaulting their file name and content type. */
export function attachmentFields(attachments: readonly WebhookAttachmentInput[]): MultipartField[] {
  return attachments.map((attachment) => ({
    name: attachment.name,
    value: attachment.data,
    filename: attachment.filename ?? attachment.name,
    contentType: attachment.contentType ?? 'application/octet-stream',
  }));
}

function escapeQuoted(text: string): string {
  return text.replace(/[\r\n"]/g, (char) => encodeURIComponent(char));
}
