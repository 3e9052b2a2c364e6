/**
 * Generates the configuration documentation from the VARIABLES table (src/config/env.ts):
 * the table of docs/configuration.md between `<!-- config-table:start -->` and
 * `<!-- config-table:end -->`, and `.env.example`. `npm run docs:config` rewrites both; `--check` only reports drift (exit 1).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { VARIABLES, VariableSpec } from '../src/config/env';

export const START = '<!-- config-table:start -->';
export const END = '<!-- config-table:end -->';
/** The page that holds the table, relative to the repository root. */
export const CONFIG_PAGE = 'docs/configuration.md';
/** Commented out in `.env.example`: copying it must not give every replica the same consumer name. */
const COMMENTED = new Set(['HOSTNAME']);

function specs(): VariableSpec<unknown>[] {
  return Object.values(VARIABLES);
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

export function configTable(): string {
  const rows = specs().map((v) => `| \`${v.name}\` | ${v.default === '' ? '(unset)' : `\`${v.default}\``} | ${cell(v.expected)} | ${cell(v.description)} |`);
  return ['| variable | default | expected | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

export function envExample(): string {
  const lines = [
    '# flunq-executor-ts configuration: every variable with its default.',
    '# Generated from src/config/env.ts by `npm run docs:config`; an empty value means unset.',
    '',
  ];
  for (const v of specs()) {
    lines.push(`# ${v.description} (${v.expected})`);
    lines.push(`${COMMENTED.has(v.name) ? '# ' : ''}${v.name}=${v.default}`);
    lines.push('');
  }
  return lines.join('\n');
}

export function withTable(page: string, table = configTable()): string {
  const start = page.indexOf(START);
  const end = page.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${CONFIG_PAGE} has no ${START} … ${END} markers`);
  return `${page.slice(0, start + START.length)}\n${table}\n${page.slice(end)}`;
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  const pagePath = path.join(root, CONFIG_PAGE);
  const envPath = path.join(root, '.env.example');
  const page = readFileSync(pagePath, 'utf8');
  const wantedPage = withTable(page);
  const wantedEnv = envExample();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(envPath, 'utf8');
    } catch {
      // missing counts as drift
    }
    const drift = [wantedPage !== page ? CONFIG_PAGE : '', wantedEnv !== current ? '.env.example' : ''].filter(Boolean);
    if (drift.length > 0) {
      process.stderr.write(`out of date: ${drift.join(', ')} (run npm run docs:config)\n`);
      process.exit(1);
    }
  } else {
    writeFileSync(pagePath, wantedPage);
    writeFileSync(envPath, wantedEnv);
    process.stdout.write(`${CONFIG_PAGE} configuration table and .env.example written\n`);
  }
}
