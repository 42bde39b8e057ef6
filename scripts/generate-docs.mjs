// Writes the parts of the docs that the code holds the facts for, between markers:
//   <!-- generated:<name> -->  …  <!-- /generated:<name> -->
// `node scripts/generate-docs.mjs` rewrites them; `--check` fails (exit 1) when any is out of date.
// Both also fail when a line of prose in README.md, CONTRIBUTING.md or docs/*.md is over 120 characters.
// Reads the built package (`npm run build` first) and the committed bench results; writes the files
// formatted by Prettier, as `npm run lint` checks them.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import * as prettier from 'prettier';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
if (!existsSync(join(root, 'dist/entries/core.js'))) {
  console.error('generate-docs reads the built package: run npm run build first (npm run docs does both).');
  process.exit(1);
}
const { BUILT_IN_PROVIDERS, WEBHOOK_REASON_STATUS, hmacProvider } = await import(join(root, 'dist/entries/core.js'));
const { WEBHOOK_REASON_DESCRIPTIONS } = await import(join(root, 'dist/core/errors/webhook-reasons.js'));

/** The longest line of prose the docs may have. */
const MAX_PROSE_LINE = 120;

/** A Markdown table cell: pipes escaped, line breaks flattened. */
const cell = (text) =>
  String(text ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ');

function table(header, rows) {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}

/** Words joined with `separator` into lines of at most `width` characters. */
function wrap(words, separator, width = MAX_PROSE_LINE) {
  const lines = [];
  let line = '';
  for (const [index, word] of words.entries()) {
    const piece = index < words.length - 1 ? `${word}${separator.trimEnd()}` : word;
    if (line !== '' && `${line} ${piece}`.length > width) {
      lines.push(line);
      line = piece;
    } else {
      line = line === '' ? piece : `${line} ${piece}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines.join('\n');
}

/** Every sender, from the providers' own `summary` declarations. */
function sendersTable() {
  const providers = Object.entries(BUILT_IN_PROVIDERS);
  const generic = hmacProvider({ signatureHeader: 'x-signature', algorithm: 'sha256', encoding: 'hex' });
  const rows = [
    ...providers.map(([name, provider]) => [`\`${name}\``, provider]),
    ['`hmacProvider({...})`', generic],
  ].map(([name, { summary }]) => [
    `${name} (${summary.sender})`,
    summary.secret,
    summary.signatureHeader,
    summary.signedContent,
    summary.algorithm,
    summary.deliveryId,
    summary.event,
    summary.timestamp,
    summary.handshake,
  ]);
  return table(
    [
      'preset',
      'secret',
      'signature',
      'signed content',
      'algorithm',
      'delivery id',
      'event',
      'timestamp (window)',
      'handshake',
    ],
    rows,
  );
}

/** What each sender was checked against, from the same declarations. */
function sendersChecked() {
  return Object.entries(BUILT_IN_PROVIDERS)
    .map(([name, provider]) => bullet(`\`${name}\`: ${provider.summary.checkedAgainst}`))
    .join('\n');
}

/** A list item wrapped as prose, its continuation lines indented. */
function bullet(text) {
  return wrap(text.split(' '), ' ', MAX_PROSE_LINE - 2)
    .split('\n')
    .map((line, index) => (index === 0 ? `- ${line}` : `  ${line}`))
    .join('\n');
}

/** The list of senders for the README, wrapped as prose. */
function sendersList() {
  const names = Object.entries(BUILT_IN_PROVIDERS).map(
    ([name, provider]) => `\`${name}\` (${provider.summary.sender})`,
  );
  return `${wrap(names, ', ')}.`;
}

/** Every reason a delivery is refused with, its HTTP status and what it means. */
function statusesTable() {
  const rows = Object.entries(WEBHOOK_REASON_STATUS).map(([reason, status]) => [
    `\`${reason}\``,
    String(status),
    WEBHOOK_REASON_DESCRIPTIONS[reason] ?? '(no description: add one to WEBHOOK_REASON_DESCRIPTIONS)',
  ]);
  return table(['reason', 'status', 'meaning'], rows);
}

/** The worked example of docs/providers.md, from the file its test imports, as a user would write it. */
function acmeExample() {
  const source = readFileSync(join(root, 'docs/examples/acme.provider.ts'), 'utf8')
    .replace(/from '\.\.\/\.\.\/lib\/entries\/core\.js'/g, "from 'nestjs-signed-webhooks/core'")
    .replace(/^\/\/ In your application:.*\n/m, '')
    .trimEnd();
  return `\`\`\`ts\n${source}\n\`\`\``;
}

const GENERATORS = {
  'senders-table': sendersTable,
  'senders-checked': sendersChecked,
  'senders-list': sendersList,
  'statuses-table': statusesTable,
  'acme-example': acmeExample,
};

/**
 * `bench-<name>`: the `<!-- summary -->` block of `bench/results/<name>.md`, so that every number
 * in the docs comes from a committed result. Without such a block, a line that says so (no number).
 */
function benchSection(name) {
  const path = join(root, `bench/results/${name}.md`);
  const link = `[\`bench/results/${name}.md\`](../bench/results/${name}.md)`;
  if (!existsSync(path)) return `No result is committed yet (\`bench/results/${name}.md\`).`;
  const summary = /<!-- summary -->\n([\s\S]*?)\n<!-- \/summary -->/.exec(readFileSync(path, 'utf8'));
  if (!summary) return `The committed result has no summary yet: see ${link}.`;
  return `${summary[1].trim()}\n\nFrom ${link}.`;
}

function generatorFor(name) {
  if (GENERATORS[name]) return GENERATORS[name];
  const bench = /^bench-([\w-]+)$/.exec(name);
  return bench ? () => benchSection(bench[1]) : undefined;
}

/** README.md, CONTRIBUTING.md and every page in docs/: the files whose prose is checked. */
function proseFiles() {
  const docs = existsSync(join(root, 'docs'))
    ? readdirSync(join(root, 'docs'))
        .filter((name) => name.endsWith('.md'))
        .sort()
        .map((name) => `docs/${name}`)
    : [];
  return ['README.md', 'CONTRIBUTING.md', ...docs];
}

/**
 * Lines of prose longer than {@link MAX_PROSE_LINE}: not in a code block, a table, an HTML comment
 * or a generated section, and not a single word (a long URL cannot be wrapped).
 */
function longProseLines(text) {
  const found = [];
  let fence;
  let generated;
  for (const [index, line] of text.split('\n').entries()) {
    const trimmed = line.trim();
    const opensFence = /^(```+|~~~+)/.exec(trimmed);
    if (fence) {
      if (opensFence && trimmed.startsWith(fence) && trimmed.slice(fence.length).trim() === '') fence = undefined;
      continue;
    }
    if (opensFence) {
      fence = opensFence[1];
      continue;
    }
    if (generated) {
      if (trimmed === `<!-- /generated:${generated} -->`) generated = undefined;
      continue;
    }
    const opens = /^<!-- generated:([\w-]+) -->$/.exec(trimmed);
    if (opens) {
      generated = opens[1];
      continue;
    }
    if (trimmed.startsWith('|') || trimmed.startsWith('<!--') || !/\s/.test(trimmed)) continue;
    if (line.length > MAX_PROSE_LINE) found.push({ line: index + 1, length: line.length });
  }
  return found;
}

/**
 * `text` with every generated part rewritten. Markers count only on lines of their own outside code
 * blocks, so a page can show what a marker looks like.
 */
function rewrite(text, file) {
  const lines = text.split('\n');
  const out = [];
  let fence;
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index];
    const trimmed = line.trim();
    const fenceMark = /^(```+|~~~+)/.exec(trimmed);
    if (fence) {
      if (fenceMark && trimmed.startsWith(fence) && trimmed.slice(fence.length).trim() === '') fence = undefined;
      out.push(line);
      continue;
    }
    if (fenceMark) fence = fenceMark[1];
    const opens = /^<!-- generated:([\w-]+) -->$/.exec(trimmed);
    if (!opens) {
      out.push(line);
      continue;
    }
    const name = opens[1];
    const close = lines.findIndex((other, at) => at > index && other.trim() === `<!-- /generated:${name} -->`);
    if (close === -1) throw new Error(`${file}:${index + 1}: "${name}" is never closed`);
    const generate = generatorFor(name);
    if (!generate) throw new Error(`${file}:${index + 1}: no generator for "${name}"`);
    let content = generate();
    // Links in generated parts are written relative to docs/; README.md and CONTRIBUTING.md sit one level up.
    if (file === 'README.md' || file === 'CONTRIBUTING.md') content = content.replace(/\]\(\.\.\//g, '](');
    out.push(line, content, lines[close]);
    index = close;
  }
  return out.join('\n');
}

const FILES = [...new Set([...proseFiles(), 'bench/README.md'])];
const PROSE_FILES = new Set(proseFiles());
let failures = 0;
for (const file of FILES) {
  const path = join(root, file);
  if (!existsSync(path)) continue;
  const before = readFileSync(path, 'utf8');
  // A file without generated parts is only read: its prose is checked, and nothing is written to it.
  const generated = /^\s*<!-- generated:[\w-]+ -->\s*$/m.test(before);
  // Formatted as `npm run lint` wants it, so that the generated parts and Prettier never disagree.
  const options = generated ? ((await prettier.resolveConfig(path)) ?? {}) : {};
  const after = generated ? await prettier.format(rewrite(before, file), { ...options, filepath: path }) : before;
  if (PROSE_FILES.has(file)) {
    for (const { line, length } of longProseLines(after)) {
      console.error(`${file}:${line}: a line of prose is ${length} characters (at most ${MAX_PROSE_LINE})`);
      failures += 1;
    }
  }
  if (after === before) continue;
  if (check) {
    console.error(`${file} is out of date: run npm run docs`);
    failures += 1;
  } else {
    writeFileSync(path, after);
    console.log(`wrote ${file}`);
  }
}
process.exitCode = failures > 0 ? 1 : 0;
