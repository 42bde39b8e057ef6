// The package as users get it: receive one delivery signed by the package's own WebhookSigner and check
// that the handler got it as a validated GuuruChatDto. The same source is compiled in both apps: as ESM
// (NestJS 12, module NodeNext) and as CommonJS (NestJS 11, module commonjs, moduleResolution node).
// Run by scripts/test-package.sh; exits 0 only when everything checks out.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  GuuruChatDto,
  WebhookHandler,
  WebhookSigner,
  WebhooksModule,
  type WebhookContext,
} from 'nestjs-signed-webhooks';

const QUESTION = 'from the packed tarball';
const handled: string[] = [];

@Injectable()
class ChatHandlers {
  @WebhookHandler('guuru')
  onChat(chat: GuuruChatDto, context: WebhookContext): void {
    const line = `HANDLED ${context.source} ${chat.question} ${chat.constructor.name}`;
    handled.push(line);
    console.log(line);
  }
}

@Module({
  imports: [WebhooksModule.forRoot({ sources: { guuru: { secret: 'package-test-secret' } } })],
  providers: [ChatHandlers],
})
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { rawBody: true, logger: ['error', 'warn'] });
  try {
    await app.listen(0, '127.0.0.1');
    const url = `${await app.getUrl()}/webhooks/guuru`;
    const { headers, body } = app.get(WebhookSigner).sign('guuru', { question: QUESTION, rating: 5 });
    const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
    const answer = await response.text();
    console.log(`status ${response.status} ${answer}`);
    if (response.status !== 200) {
      throw new Error(`POST ${url} answered ${response.status}, expected 200: ${answer}`);
    }
    const expected = `HANDLED guuru ${QUESTION} GuuruChatDto`;
    if (!handled.includes(expected)) {
      throw new Error(`the handler did not print "${expected}"; it printed ${JSON.stringify(handled)}`);
    }
  } finally {
    await app.close();
  }
}

main().then(
  () => {
    console.log('OK: 200 and the handler ran with a GuuruChatDto');
    process.exit(0);
  },
  (error: unknown) => {
    console.error('FAILED:', error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
