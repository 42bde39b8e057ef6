import { format } from 'node:util';
import type { ChildProcess } from 'node:child_process';

/**
 * Everything the test process writes (stdout, stderr, console) and every line the
 * test apps log, kept so the suite can prove that no secret ever reaches a log.
 */
const captured: string[] = [];

/** Adds text to the record. */
export function recordLog(text: string): void {
  captured.push(text);
}

/** All text recorded so far in this test file. */
export function capturedLogs(): string {
  return captured.join('\n');
}

/** Starts recording the process's own output and the console (once per test file). */
export function captureProcessOutput(): void {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      recordLog(format(...args));
      original(...args);
    };
  }
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = (chunk: unknown, ...rest: unknown[]) => {
      recordLog(typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
      return write(chunk, ...rest);
    };
  }
}

/**
 * Records everything a child process writes to stdout and stderr, line by line (a chunk may end
 * mid-line, and a secret split over two chunks must still be found), so the suite's no-secret
 * check covers other processes too. Returns the output so far.
 */
export function captureChildOutput(child: ChildProcess, label: string): () => string {
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      output += chunk;
      pending += chunk;
      const end = pending.lastIndexOf('\n');
      if (end < 0) return;
      for (const line of pending.slice(0, end).split('\n')) recordLog(`[${label}] ${line}`);
      pending = pending.slice(end + 1);
    });
    stream.on('end', () => {
      if (pending !== '') recordLog(`[${label}] ${pending}`);
      pending = '';
    });
  }
  return () => output;
}
