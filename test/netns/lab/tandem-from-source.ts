/**
 * tandem-from-source: the `tandem` executable run from TypeScript source (`node --import tsx`),
 * so the lab tests the checkout without a build step.
 */
import { runCli } from '../../../src/cli/main.js';

process.exitCode = await runCli(process.argv.slice(2));
