import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Compiles a tsc project whose output a test runs as a separate process, and fails unless
 * `output` was written by this run. Type errors elsewhere in the project (the type-check is
 * its own step, `npm run typecheck`) do not stop tsc emitting, so they do not fail the test;
 * they are printed.
 */
export async function compileProject(project: string, output: string): Promise<void> {
  const startedAt = Date.now();
  const diagnostics = await new Promise<string>((resolve) => {
    execFile(join(process.cwd(), 'node_modules/.bin/tsc'), ['-p', project], (error, stdout, stderr) =>
      resolve(error ? `${stdout}${stderr}` : ''),
    );
  });
  let writtenAt = 0;
  try {
    writtenAt = statSync(output).mtimeMs;
  } catch {
    // not written at all
  }
  // File times may be coarser than Date.now(): allow a second.
  if (writtenAt < startedAt - 1_000) {
    throw new Error(`tsc -p ${project} did not write ${output}:\n${diagnostics}`);
  }
  if (diagnostics) console.warn(`tsc -p ${project} reported (the output was written):\n${diagnostics}`);
}
