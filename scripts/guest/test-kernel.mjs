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
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** step runs one command in the checkout and stops the whole run when it fails. */
function step(file, args) {
  const result = spawnSync(file, args, { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`test:kernel: \`${file} ${args.join(' ')}\` failed (${result.error?.message ?? `status ${result.status}`})`);
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
  console.error('test:kernel: not root, so the guest-kernel tests will be skipped; run `sudo npm run test:kernel`');
}

const vitest = spawnSync(
  join(repoRoot, 'node_modules/.bin/vitest'),
  ['run', '--config', 'vitest.kernel.config.ts', ...process.argv.slice(2)],
  { cwd: repoRoot, stdio: 'inherit' },
);
process.exit(vitest.status ?? 1);
