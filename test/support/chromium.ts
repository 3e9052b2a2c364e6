import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Browser, chromium } from 'playwright-core';

/** Debian's chromium package (playwright-core drives it; never `npx playwright install`: no internet). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let installProblem: string | undefined;
let installTried = false;

/**
 * Why browser tests cannot run here (undefined: they can). Installs Debian's `chromium` once per
 * process when it is missing (`apt-get update && apt-get install -y chromium`, as root); a failed
 * installation is reported, for the tests to skip with it.
 */
export function chromiumProblem(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  if (!installTried) {
    installTried = true;
    if (process.getuid?.() !== 0) {
      installProblem = `${CHROMIUM_PATH} is missing and installing it needs root: apt-get install -y chromium`;
    } else {
      try {
        execFileSync('sh', ['-c', 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 15 * 60_000 });
      } catch (error) {
        installProblem = `${CHROMIUM_PATH} is missing and apt-get could not install it: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
      }
    }
  }
  if (existsSync(CHROMIUM_PATH)) return undefined;
  return installProblem ?? `${CHROMIUM_PATH} is missing`;
}

/** A headless Chromium; close it after the tests. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ARGS });
}
