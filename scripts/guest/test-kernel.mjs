#!/usr/bin/env node
// test-kernel.mjs: `npm run test:kernel [-- VITEST ARGS...]`, the guest-kernel test tier.
//
// As root it compiles the TypeScript (dist/, which guest programs import), builds the native
// addon if it is missing, installs the guest tooling when missing (uml-guest.sh prepare:
// user-mode-linux, ipvsadm, kmod, iproute2, procps, busybox-static via apt-get), then runs
// vitest with vitest.kernel.config.ts and the extra arguments, e.g.
//   npm run test:kernel -- --reporter=default --reporter=json --outputFile.json=.vitest-kernel.json
// Not as root it runs vitest anyway, so the tests report themselves as skipped and say why.
// The exit status is vitest's (or the failing preparation step's).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** step runs one command in the checkout and stops the whole run when it fails. */
function step(file, args) {
  const result = spawnSync(file, args, { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) {
    const why = result.error?.message ?? `status ${result.status}`;
    console.error(`test:kernel: \`${file} ${args.join(' ')}\` failed (${why})`);
    process.exit(result.status ?? 1);
  }
}

if (process.getuid() === 0) {
  step('npm', ['run', '--silent', 'build:ts']);
  if (!existsSync(join(repoRoot, 'native/build/Release/tandem_native.node'))) {
    step('npm', ['run', '--silent', 'build:native']);
  }
  step(join(repoRoot, 'scripts/guest/uml-guest.sh'), ['prepare']);
} else {
  console.error('test:kernel: not root, so the guest-kernel tests are skipped; run `sudo npm run test:kernel`');
}

const vitest = spawn(
  join(repoRoot, 'node_modules/.bin/vitest'),
  ['run', '--config', 'vitest.kernel.config.ts', ...process.argv.slice(2)],
  { cwd: repoRoot, stdio: 'inherit' },
);
// Pass a stop request on, so that vitest's workers stop their guests (a worker that dies
// anyway closes its guests' consoles, and they power off by themselves).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => vitest.kill(signal));
// A signal death maps to 128 + N, as a shell reports it.
vitest.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
