// Writes the parts of the docs that the code holds the facts for, between markers:
//   <!-- generated:<name> -->  …  <!-- /generated:<name> -->
// `node scripts/generate-docs.mjs` rewrites them; `--check` fails (exit 1) when any is out of date.
// Reads the built package (`npm run build` first) and the committed bench results.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const { BUILT_IN_PROVIDERS, hmacProvider } = await import(join(root, 'dist/entries/core.js'));

/** A Markdown table cell: pipes escaped, line breaks flattened. */
const cell = (text) => String(text ?? '').replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

function table(header, rows) {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
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
    ['preset', 'secret', 'signature', 'signed content', 'algorithm', 'delivery id', 'event', 'timestamp (window)', 'handshake'],
    rows,
  );
}

/** What each sender was checked against, from the same declarations. */
function sendersChecked() {
  return Object.entries(BUILT_IN_PROVIDERS)
    .map(([name, provider]) => `- \`${name}\`: ${provider.summary.checkedAgainst}`)
    .join('\n');
}

/** The list of senders for the README. */
function sendersList() {
  return Object.entries(BUILT_IN_PROVIDERS)
    .map(([name, provider]) => `\`${name}\` (${provider.summary.sender})`)
    .join(', ');
}

const GENERATORS = { 'senders-table': sendersTable, 'senders-checked': sendersChecked, 'senders-list': sendersList };

/** Every bench result file's generated sections, if present. */
for (const file of ['verify', 'http', 'dashboard', 'queue']) {
  const path = join(root, `bench/results/${file}.md`);
  if (!existsSync(path)) continue;
  const text = readFileSync(path, 'utf8');
  const summary = /<!-- summary -->\n([\s\S]*?)\n<!-- \/summary -->/.exec(text);
  if (summary) GENERATORS[`bench-${file}`] = () => `${summary[1].trim()}\n\nFrom [\`bench/results/${file}.md\`](../bench/results/${file}.md).`;
}

const FILES = ['README.md', 'docs/senders.md', 'docs/proof.md', 'bench/README.md'];
let stale = 0;
for (const file of FILES) {
  const path = join(root, file);
  if (!existsSync(path)) continue;
  const before = readFileSync(path, 'utf8');
  const after = before.replace(
    /<!-- generated:([\w-]+) -->\n[\s\S]*?<!-- \/generated:\1 -->/g,
    (whole, name) => {
      const generate = GENERATORS[name];
      if (!generate) throw new Error(`${file}: no generator for "${name}"`);
      let content = generate();
      if (file === 'README.md') content = content.replace(/\]\(\.\.\//g, '](');
      return `<!-- generated:${name} -->\n${content}\n<!-- /generated:${name} -->`;
    },
  );
  if (after === before) continue;
  if (check) {
    console.error(`${file} is out of date: run npm run docs`);
    stale += 1;
  } else {
    writeFileSync(path, after);
    console.log(`wrote ${file}`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
