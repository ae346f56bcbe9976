#!/usr/bin/env node
// The `tandem` executable: runs the compiled CLI from dist/ (built by `npm run build`).
import { runCli } from '../dist/cli/main.js';

process.exitCode = await runCli(process.argv.slice(2));
