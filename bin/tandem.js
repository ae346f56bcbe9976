#!/usr/bin/env -S node --single-threaded-gc
// The `tandem` executable: runs the compiled CLI from dist/ (built by `npm run build`).
// The #! line is the one list of node options tandem needs (src/election-runtime/node-flags.ts
// says why; the netns lab reads them from here): --single-threaded-gc keeps V8's normal-priority
// GC helper threads out of the realtime election thread's collections (bench/spurious).
import { runCli } from '../dist/cli/main.js';

process.exitCode = await runCli(process.argv.slice(2));
