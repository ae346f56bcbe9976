/**
 * health-driver: the daemon's health component on its own, run inside the lab's director
 * namespace, with the real checkers and a verdict sink that prints each verdict handed to the
 * IPVS owner as one JSON line: {"rs":"tcp:…","verdict":"down","atMs":<Date.now()>}. The host
 * has no IPVS, so the line stands in for the owner's setVerdict.
 *
 *   ip netns exec NS node --import tsx test/netns/lab/health-driver.ts CONFIG
 */
import { pino } from 'pino';
import { loadConfigFile } from '../../../src/config/load.js';
import { HealthComponent } from '../../../src/daemon/health-component.js';
import { systemMonotonicClock } from '../../../src/election-runtime/monotonic-clock.js';
import { checkerFor } from '../../../src/health/checker-for.js';

const [configFile] = process.argv.slice(2);
if (configFile === undefined) throw new Error('usage: health-driver.ts CONFIG');
const result = await loadConfigFile(configFile, { node: 'alpha' });
if (!result.ok) throw new Error(`config invalid: ${JSON.stringify(result.issues)}`);
const health = new HealthComponent(result.config, {
  checker: checkerFor(),
  clock: systemMonotonicClock(),
  log: pino({ level: 'warn' }, process.stderr),
  verdicts: {
    setVerdict(rs, verdict) {
      process.stdout.write(`${JSON.stringify({ rs, verdict, atMs: Date.now() })}\n`);
      return Promise.resolve();
    },
  },
});
await health.start();
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
process.on('SIGTERM', () => {
  void health.stop().then(() => process.exit(0));
});
