/** A part of a multipart delivery other than its payload, such as a screenshot. */
export interface WebhookAttachment {
  /** The form field name of the part. */
  readonly name: string;
  /** The file name the sender gave, if any. */
  readonly filename: string | undefined;
  /** The part's content type (`text/plain` when the part names none). */
  readonly contentType: string;
  /** The part's bytes, exactly as sent. */
  readonly data: Buffer;
}

/** An attachment to add when signing a multipart delivery (Usersnap). */
export interface WebhookAttachmentInput {
  /** The form field name of the part. */
  readonly name: string;
  /** The file name to send. */
  readonly filename?: string;
  /** The content type to send; `application/octet-stream` when omitted. */
  readonly contentType?: string;
  /** The part's bytes. */
  readonly data: Buffer | string;
}
