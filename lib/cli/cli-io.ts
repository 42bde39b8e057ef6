import { readFile } from 'node:fs/promises';

/**
 * What the command line reads from and writes to its surroundings. `main.ts` passes the
 * process's; tests pass their own, so a command runs in-process without a shell.
 */
export interface CliIo {
  /** Writes to standard output. */
  readonly stdout: (chunk: string | Buffer) => void;
  /** Writes to standard error. */
  readonly stderr: (chunk: string) => void;
  /** The environment `--secret-env` and `--token-env` read. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** All of standard input, for `--payload -` and `--request -`. */
  readonly readStdin: () => Promise<Buffer>;
  /** Whether standard output is a terminal (raw bytes then end with a newline, for the prompt's sake). */
  readonly stdoutIsTerminal?: boolean;
}

/** The running process's streams and environment. */
export function processIo(): CliIo {
  return {
    stdout: (chunk) => void process.stdout.write(chunk),
    stderr: (chunk) => void process.stderr.write(chunk),
    env: process.env,
    stdoutIsTerminal: process.stdout.isTTY === true,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
      return Buffer.concat(chunks);
    },
  };
}

/** A file's bytes, or standard input's for `-`. */
export async function readInput(io: CliIo, path: string): Promise<Buffer> {
  return path === '-' ? io.readStdin() : readFile(path);
}
