// Runs the load generator (http-load.ts) as a separate process, so its CPU is not the app's.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadOptions, LoadResult } from './http-load.js';

const LOAD_SCRIPT = fileURLToPath(new URL('./http-load.js', import.meta.url));

/** One run of autocannon against `options.url`, in its own process; rejects on a non-zero exit. */
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
