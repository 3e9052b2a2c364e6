/**
 * Generates the configuration documentation from the VARIABLES table (src/config/env.ts):
 * the README table between `<!-- config-table:start -->` and `<!-- config-table:end -->`, and
 * `.env.example`. `npm run docs:config` rewrites both; `--check` only reports drift (exit 1).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { VARIABLES, VariableSpec } from '../src/config/env';

export const START = '<!-- config-table:start -->';
export const END = '<!-- config-table:end -->';
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

export function withTable(readme: string, table = configTable()): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} markers`);
  return `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`;
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  const readmePath = path.join(root, 'README.md');
  const envPath = path.join(root, '.env.example');
  const readme = readFileSync(readmePath, 'utf8');
  const wantedReadme = withTable(readme);
  const wantedEnv = envExample();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(envPath, 'utf8');
    } catch {
      // missing counts as drift
    }
    const drift = [wantedReadme !== readme ? 'README.md' : '', wantedEnv !== current ? '.env.example' : ''].filter(Boolean);
    if (drift.length > 0) {
      process.stderr.write(`out of date: ${drift.join(', ')} (run npm run docs:config)\n`);
      process.exit(1);
    }
  } else {
    writeFileSync(readmePath, wantedReadme);
    writeFileSync(envPath, wantedEnv);
    process.stdout.write('README.md configuration table and .env.example written\n');
  }
}
