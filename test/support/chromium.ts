/** Debian's Chromium for the browser tests: found, or a message saying how to install it. */
import fs from 'node:fs';

const DEFAULT_BINARY = '/usr/bin/chromium';

/** CHROMIUM_BIN, else /usr/bin/chromium; null when neither is an executable file. */
export function findChromium(): string | null {
  const candidate = process.env.CHROMIUM_BIN || DEFAULT_BINARY;
  try {
    fs.accessSync(candidate, fs.constants.X_OK);
    return fs.statSync(candidate).isFile() ? candidate : null;
  } catch {
    return null;
  }
}

export function chromiumMissingMessage(): string {
  const looked = process.env.CHROMIUM_BIN ? `CHROMIUM_BIN=${process.env.CHROMIUM_BIN} is not an executable file` : `no executable at ${DEFAULT_BINARY}`;
  return `Chromium is required for this test but was not found: ${looked}. Install it with \`apt-get update && apt-get install -y chromium\` (Debian), or set CHROMIUM_BIN.`;
}

/** Headless, sandbox-less (containers), and quiet: no update, sync or background traffic. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];
