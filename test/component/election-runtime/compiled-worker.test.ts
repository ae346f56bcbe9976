/**
 * The production path: compiled to JavaScript (as `npm run build:ts` does into dist/), the
 * runtime starts election-worker.js directly, with no TypeScript loader. This compiles the
 * election modules into a temporary directory and runs a lone master there in a plain `node`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './runtime-harness.js';

const run = promisify(execFile);
let outDir = '';

afterAll(async () => {
  if (outDir !== '') await rm(outDir, { recursive: true, force: true });
});

describe('the compiled election runtime', () => {
  it('starts its worker from election-worker.js, elects itself and stops', { timeout: 120_000 }, async () => {
    outDir = await mkdtemp(join(tmpdir(), 'tandem-dist-'));
    await run(process.execPath, [
      'node_modules/typescript/bin/tsc',
      '--ignoreConfig',
      ...['--outDir', outDir, '--rootDir', 'src', '--module', 'NodeNext', '--moduleResolution', 'NodeNext'],
      ...['--target', 'ES2022', '--strict', '--skipLibCheck', '--types', 'node'],
      'src/election-runtime/election-runtime.ts',
      'src/election-runtime/election-worker.ts',
    ]);
    await writeFile(join(outDir, 'package.json'), '{ "type": "module" }\n');
    const runtimeUrl = pathToFileURL(join(outDir, 'election-runtime', 'election-runtime.js')).href;
    const optionsUrl = pathToFileURL(join(outDir, 'election', 'options.js')).href;
    const port = await freePort();
    const program = `
      import { startElectionRuntime } from ${JSON.stringify(runtimeUrl)};
      import { nodeIdFromName } from ${JSON.stringify(optionsUrl)};
      const seen = [];
      const runtime = await startElectionRuntime({
        election: { groupId: 7, nodeId: nodeIdFromName('a'), peerNodeIds: [nodeIdFromName('b')], priority: 100,
          advertIntervalMs: 20, preempt: true, preemptDelayMs: 0, vips: ['192.0.2.10'], keys: { current: new Uint8Array(32).fill(1) },
          trackedInterfaces: [], trackedChecks: [], stallThresholdMs: 10, handoverTimeoutMs: 60 },
        transport: { mode: 'unicast', port: ${port}, bindAddresses: ['127.0.0.1'], peers: [], ownAddresses: ['127.0.0.1'] },
      }, { notice: (notice) => seen.push(notice.kind === 'transition' ? notice.from + '>' + notice.to : notice.kind), failed: (error) => seen.push('failed ' + error.message) });
      await new Promise((resolve) => setTimeout(resolve, 500));
      const status = await runtime.shutdown();
      console.log(JSON.stringify({ seen, state: status.state, advertsSent: status.counters.advertsSent }));
    `;
    const programPath = join(outDir, 'lone-master.js');
    await writeFile(programPath, program);
    const { stdout } = await run(process.execPath, [programPath]);
    const result = JSON.parse(stdout) as { seen: string[]; state: string; advertsSent: number };
    expect(result.seen).toEqual(['init>backup', 'backup>master', 'addVips', 'announce', 'removeVips', 'master>init']);
    expect(result.state).toBe('init');
    expect(result.advertsSent).toBeGreaterThan(5);
  });
});
