// Shared helpers of the benchmarks: machine description, statistics, result files.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';

/** Where results go: bench/results/ of the repository, whichever directory the compiled file runs from. */
export const RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url));

/** The machine a run happened on. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly node: string;
  readonly platform: string;
  readonly date: string;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
  };
}

/** The machine as the first lines of a Markdown report. */
export function machineMarkdown(machine: MachineInfo): string {
  return [
    `- Machine: ${machine.cpuModel}, ${machine.cores} cores (\`os.cpus()\`), ${machine.platform}`,
    `- Node: ${machine.node}`,
    `- Date: ${machine.date}`,
  ].join('\n');
}

/** Which library code was measured: the commit, and lib/ files that differ from it. */
export interface CodeState {
  readonly commit: string;
  readonly uncommittedLibFiles: readonly string[];
}

export function codeState(): CodeState {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: fileURLToPath(new URL('../../', import.meta.url)), encoding: 'utf8' });
  try {
    return {
      commit: git('rev-parse', '--short', 'HEAD').trim(),
      uncommittedLibFiles: git('status', '--porcelain', '--', 'lib')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => line.slice(3)),
    };
  } catch {
    return { commit: 'unknown (no git)', uncommittedLibFiles: [] };
  }
}

/** The code state as a line of a Markdown report. */
export function codeMarkdown(code: CodeState): string {
  const dirty = code.uncommittedLibFiles;
  return `- Code: \`lib/\` at commit ${code.commit}${
    dirty.length === 0 ? '' : ` plus uncommitted changes to ${dirty.map((file) => `\`${file}\``).join(', ')}`
  }`;
}

/** A positive number from the environment, or `fallback`. */
export function envNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not "${text}".`);
  return value;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The `p`-th percentile (0..100) of `sorted`, nearest rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** `value` rotated left by `by`: a different order of variants in every round. */
export function rotate<T>(values: readonly T[], by: number): T[] {
  const shift = ((by % values.length) + values.length) % values.length;
  return [...values.slice(shift), ...values.slice(0, shift)];
}

/** Numbers for a table: thousands separated, `digits` decimals. */
export function fmt(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a';
}

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * Writes `<name>.json` and `<name>.md` to bench/results/, formatted with the
 * repository's Prettier settings so `prettier --check .` accepts them as written.
 */
export async function writeResults(name: string, data: unknown, markdown: string): Promise<string[]> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const jsonPath = `${RESULTS_DIR}${name}.json`;
  const mdPath = `${RESULTS_DIR}${name}.md`;
  const options = (await resolveConfig(mdPath)) ?? {};
  await writeFile(jsonPath, await format(JSON.stringify(data), { ...options, parser: 'json' }));
  await writeFile(mdPath, await format(markdown, { ...options, parser: 'markdown' }));
  return [jsonPath, mdPath];
}

/** Payload padding: readable text, pure ASCII (one byte per character, nothing JSON escapes). */
export function paddingText(length: number): string {
  const words = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor ';
  return words.repeat(Math.ceil(length / words.length) + 1).slice(0, Math.max(0, length));
}

const chatPadding = new Map<string, string>();

/**
 * A Guuru chat (the shape of Guuru's published example) of exactly `bytes` bytes of
 * compact JSON, made distinct by `tag` and the counter `n` (fixed width, so every body
 * of one tag has the same size). The question is padded: it is a field of
 * `GuuruChatDto`, so the padding is validated rather than stripped.
 */
export function guuruChatBody(tag: string, n: number, bytes: number): string {
  const key = `${tag}:${bytes}`;
  let padding = chatPadding.get(key);
  const build = (question: string) =>
    JSON.stringify({
      id: `chat-${tag}-${String(n).padStart(9, '0')}`,
      user: { name: 'Joana', email: '', locale: 'en', isLead: false, isUser: true },
      question,
      status: 'rated',
      language: 'en',
      transcriptURL: 'https://chat.guuru.com/guuru-qa/transcripts/-LZu-ZrIBzpNHGswVFuP',
      rating: (n % 5) + 1,
      category: 'general',
      createdAt: 1551456423860,
      acceptedAt: 1551456435840,
      closedAt: 1551456470489,
      ratedAt: 1551456472882,
    });
  if (padding === undefined) {
    const base = build('').length;
    if (base > bytes) throw new Error(`A Guuru chat needs at least ${base} bytes.`);
    padding = paddingText(bytes - base);
    chatPadding.set(key, padding);
  }
  const body = build(padding);
  if (Buffer.byteLength(body) !== bytes) throw new Error('The chat body does not have the size asked for.');
  return body;
}

/** A small seeded generator (mulberry32): the same resamples on every run, so intervals are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A point estimate with its interval. */
export interface Interval {
  /** The statistic of the observed values. */
  readonly estimate: number;
  /** Lower and upper bounds of the interval. */
  readonly low: number;
  readonly high: number;
  /** The confidence level, e.g. 0.95. */
  readonly confidence: number;
  /** How many values the interval rests on (rounds). */
  readonly n: number;
}

/**
 * A percentile bootstrap interval of the median of `values` (one per interleaved round):
 * `resamples` samples of the rounds drawn with replacement, the median of each, and the
 * `(1 - confidence) / 2` and `(1 + confidence) / 2` quantiles of those medians. Seeded, so a
 * result file can be recomputed from its samples.
 */
export function bootstrapMedian(
  values: readonly number[],
  options: { readonly confidence?: number; readonly resamples?: number; readonly seed?: number } = {},
): Interval {
  return bootstrapStatistic(values, median, {
    confidence: options.confidence,
    resamples: options.resamples ?? 10_000,
    seed: options.seed ?? 0x5eed,
  });
}

/**
 * A percentile bootstrap interval of any `statistic` of `samples` (pairs of windows, say): `resamples` samples
 * drawn with replacement, the statistic of each, and its `(1 - confidence) / 2` and `(1 + confidence) / 2`
 * quantiles. Seeded, so a result file can be recomputed from its samples.
 */
export function bootstrapStatistic<T>(
  samples: readonly T[],
  statistic: (sample: readonly T[]) => number,
  options: { readonly confidence?: number; readonly resamples?: number; readonly seed?: number } = {},
): Interval {
  const confidence = options.confidence ?? 0.95;
  const resamples = options.resamples ?? 2_000;
  const n = samples.length;
  const estimate = statistic(samples);
  if (n < 2) return { estimate, low: Number.NaN, high: Number.NaN, confidence, n };
  const random = seededRandom(options.seed ?? 0x9e3779b9);
  const estimates = new Float64Array(resamples);
  const sample: T[] = new Array<T>(n);
  for (let r = 0; r < resamples; r += 1) {
    for (let i = 0; i < n; i += 1) sample[i] = samples[Math.floor(random() * n)]!;
    estimates[r] = statistic(sample);
  }
  estimates.sort();
  const tail = (1 - confidence) / 2;
  const at = (q: number) => estimates[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))]!;
  return { estimate, low: at(tail), high: at(1 - tail), confidence, n };
}

/** `0.93× [0.90–0.95]`: a ratio with its interval. */
export function ratioInterval(interval: Interval): string {
  if (!Number.isFinite(interval.estimate)) return 'n/a';
  const bounds = Number.isFinite(interval.low) ? ` [${interval.low.toFixed(2)}–${interval.high.toFixed(2)}]` : '';
  return `${interval.estimate.toFixed(2)}×${bounds}`;
}
