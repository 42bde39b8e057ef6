// Runs the load generator (http-load.ts) as a separate process, so its CPU is not the app's.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadOptions, LoadResult } from './http-load.js';

const LOAD_SCRIPT = fileURLToPath(new URL('./http-load.js', import.meta.url));

/** One run of autocannon against `options.url`, in a process of its own; rejects on a non-zero exit. */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LOAD_SCRIPT, JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`The load generator exited with ${code}.`));
        return;
      }
      try {
        resolve(JSON.parse(output.trim().split('\n').pop()!) as LoadResult);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

/** A load generator process that stays up between runs: short windows cost no process start each. */
export interface LoadGenerator {
  /** One run of autocannon, in the generator's process; runs one at a time. */
  run(options: LoadOptions): Promise<LoadResult>;
  /** Ends the process. */
  close(): Promise<void>;
}

/** Starts a {@link LoadGenerator}. */
export function startLoadGenerator(): LoadGenerator {
  const child: ChildProcess = spawn(process.execPath, [LOAD_SCRIPT], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let next = 0;
  const pending = new Map<number, { resolve: (result: LoadResult) => void; reject: (error: Error) => void }>();
  child.on('message', (message: { id: number; result?: LoadResult; error?: string }) => {
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    if (message.result) waiting.resolve(message.result);
    else waiting.reject(new Error(`The load generator failed: ${message.error}`));
  });
  child.on('exit', (code) => {
    for (const waiting of pending.values()) waiting.reject(new Error(`The load generator exited with ${code}.`));
    pending.clear();
  });
  return {
    run(options) {
      const id = (next += 1);
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, options });
      });
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await exited;
    },
  };
}
