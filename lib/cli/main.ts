#!/usr/bin/env node
// The `nestjs-signed-webhooks` command (the package's `bin`). It loads only the framework-free
// core and the presets, so it runs where only the package and busboy are installed.
import { processIo } from './cli-io.js';
import { run } from './run.js';

// A closed pipe (`... | head -1`) is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

process.exitCode = await run(process.argv.slice(2), processIo());
