/**
 * The sample's traces, printed to the console: run `TRACES=console npm run sample`, then
 * `npm run sample:send`. Each delivery prints its `webhook.receive` span (source, provider,
 * event, delivery id, outcome…) and its children: `webhook.verify`, `webhook.deduplicate` and
 * one `webhook.handler` per handler.
 *
 * `main.ts` imports this file before it creates the app: the module looks for a tracer provider
 * when it starts, and traces nothing (at no cost) when there is none. In an app of your own,
 * register the SDK the same way, with your back-end's exporter (OTLP, say) instead of the
 * console's, and HTTP instrumentation, whose server span becomes the parent of `webhook.receive`.
 */
import { ConsoleSpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';

const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())] });
// register() also installs the AsyncLocalStorage context manager: spans then follow the awaits.
provider.register();
