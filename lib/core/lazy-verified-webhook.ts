import type { VerifiedWebhook } from './webhook-provider.js';

/** The fields of a verified delivery that may be worked out on first read. */
type LazyField = 'deliveryId' | 'event' | 'timestamp' | 'handshake' | 'acknowledgement';

/**
 * How a provider works out some fields of its verified deliveries when they are first read,
 * from what its `verify` kept (`state`): one constant object per provider, made once.
 */
export type LazyWebhookFields<S> = {
  readonly [K in LazyField]?: (state: S) => VerifiedWebhook[K];
};

/** The fields a provider knows when it has verified a delivery (those it does not work out later). */
export interface EagerWebhookFields {
  readonly deliveryId?: string;
  readonly event?: string | undefined;
  readonly timestamp?: Date | undefined;
}

/**
 * A verified delivery whose `fields` are read on first access, from `state`, so that verifying
 * does not pay for parsing a body nobody looks into. They are own, enumerable getters, as an
 * object literal's `get` would make them (spreading the result or comparing it reads them), but
 * far cheaper to make: V8 gives every literal with getters a shape of its own, through the
 * runtime, which costs more per delivery than an HMAC of a kilobyte. Here the getters are the
 * same functions for every delivery, reading the state kept in private fields.
 *
 * @example Stripe: the id and type from the body, only when asked for
 * ```ts
 * const LAZY: LazyWebhookFields<{ delivery: IncomingWebhook; signature: Buffer }> = {
 *   deliveryId: ({ delivery, signature }) => textFieldOf(delivery.json(), 'id') ?? signatureDigestId(signature),
 *   event: ({ delivery }) => textFieldOf(delivery.json(), 'type'),
 * };
 * // in verify():
 * return lazyVerifiedWebhook(LAZY, { delivery, signature }, { timestamp });
 * ```
 */
export function lazyVerifiedWebhook<S>(
  fields: LazyWebhookFields<S>,
  state: S,
  eager: EagerWebhookFields = {},
): VerifiedWebhook {
  return new LazyVerifiedWebhook(fields, state, eager) as unknown as VerifiedWebhook;
}

const FIELD_NAMES: readonly LazyField[] = ['deliveryId', 'event', 'timestamp', 'handshake', 'acknowledgement'];

class LazyVerifiedWebhook<S> {
  readonly #fields: LazyWebhookFields<S>;
  readonly #state: S;

  /** One descriptor per field, shared by every instance: its getter reads the instance's own state. */
  static readonly #descriptors = Object.fromEntries(
    FIELD_NAMES.map((name) => [name, LazyVerifiedWebhook.#descriptor(name)]),
  ) as Record<LazyField, PropertyDescriptor>;

  static #descriptor(name: LazyField): PropertyDescriptor {
    return {
      enumerable: true,
      configurable: true,
      get(this: LazyVerifiedWebhook<unknown>) {
        return this.#fields[name]!(this.#state);
      },
    };
  }

  constructor(fields: LazyWebhookFields<S>, state: S, eager: EagerWebhookFields) {
    this.#fields = fields;
    this.#state = state;
    const self = this as unknown as Record<string, unknown>;
    // The three fields every verified delivery has are own properties, worked out or not.
    if (!fields.deliveryId) self.deliveryId = eager.deliveryId;
    if (!fields.event) self.event = eager.event;
    if (!fields.timestamp) self.timestamp = eager.timestamp;
    const descriptors = LazyVerifiedWebhook.#descriptors;
    if (fields.deliveryId) Object.defineProperty(this, 'deliveryId', descriptors.deliveryId);
    if (fields.event) Object.defineProperty(this, 'event', descriptors.event);
    if (fields.timestamp) Object.defineProperty(this, 'timestamp', descriptors.timestamp);
    if (fields.handshake) Object.defineProperty(this, 'handshake', descriptors.handshake);
    if (fields.acknowledgement) Object.defineProperty(this, 'acknowledgement', descriptors.acknowledgement);
  }
}
