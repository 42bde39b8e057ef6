import { Controller, Get } from '@nestjs/common';
import { ReceivedLog, type ReceivedDelivery } from './received.log.js';

/** `GET /received`: what the handlers received, so `npm run sample:send` can print it. */
@Controller('received')
export class ReceivedController {
  constructor(private readonly log: ReceivedLog) {}

  @Get()
  list(): readonly ReceivedDelivery[] {
    return this.log.list();
  }
}
