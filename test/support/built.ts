import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const MAIN = path.join(ROOT, 'dist/src/main.js');
export const CLI = path.join(ROOT, 'dist/src/cli/flunq-executor.js');
/** A file `npm run build` copies (the compiler does not emit it). */
const ASSET = path.join(ROOT, 'dist/src/adapters/redis/scripts/settle.lua');

/** `npm test` builds before the e2e stage; a lone run of an e2e file builds here. */
export function ensureBuilt(): void {
  if (existsSync(MAIN) && existsSync(CLI) && existsSync(ASSET)) return;
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
}
