/**
 * Launch Debian's headless Chromium with the flags this project needs (see ../shared/notes and the
 * README): no first-run or background network traffic, and `--enable-unsafe-webgpu` so a real
 * (software) WebGPU adapter exists and CI exercises the WebGPU code path.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--enable-unsafe-webgpu',
];

export function chromiumPath(): string {
  const p = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(p)) {
    throw new Error(
      `Chromium not found at ${p}: install it with "apt-get install -y chromium" or set CHROMIUM_PATH`,
    );
  }
  return p;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
}
