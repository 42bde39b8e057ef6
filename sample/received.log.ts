import { Injectable } from '@nestjs/common';

/** What a handler received, as the sample shows it on `GET /received`. */
export interface ReceivedDelivery {
  readonly source: string;
  readonly event: string | undefined;
  readonly deliveryId: string;
  readonly handler: string;
  readonly payloadType: string;
  readonly summary: string;
  readonly attachments: readonly string[];
  readonly receivedAt: string;
}

/** The last deliveries the sample's handlers received (in memory, newest last). */
@Injectable()
export class ReceivedLog {
  private readonly entries: ReceivedDelivery[] = [];

  add(entry: ReceivedDelivery): void {
    this.entries.push(entry);
    if (this.entries.length > 100) this.entries.shift();
  }

  list(): readonly ReceivedDelivery[] {
    return this.entries;
  }
}
