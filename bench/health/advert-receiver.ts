/**
 * advert-receiver: the peer's side of the cadence benchmark, in a process of its own. It binds a
 * UDP socket, timestamps every datagram on arrival (performance.now(), this process's monotonic
 * clock), and prints its address once bound: `{"port":N}`. A line `report` on stdin makes it print
 * `{"arrivalsMs":[…]}` (every arrival since the previous report) and a line `exit` ends it.
 *
 *   npx tsx bench/health/advert-receiver.ts ADDRESS PORT   (started by cadence.ts)
 *
 * A separate process, because a receiver on the sender's main thread would stamp an advert only
 * once that thread's checks let it run, and a receiver thread would share the sender's process.
 * It asks for the election thread's own scheduling (ELECTION_THREAD_SCHEDULING: SCHED_RR, else
 * nice) so that, on a loaded machine, its timestamps lag the wire no more than the sender's
 * adverts do; refused, it says why on stderr and runs as it is (the gaps then include its own
 * wake-ups).
 */
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { ELECTION_THREAD_SCHEDULING, setCurrentThreadPriority } from '../../src/election-runtime/thread-priority.js';

const [address = '127.0.0.2', portText = '0'] = process.argv.slice(2);
const priority = setCurrentThreadPriority(ELECTION_THREAD_SCHEDULING);
for (const reason of priority.refused) console.error(`advert-receiver: ${reason}`);

let arrivalsMs: number[] = [];
const socket = createSocket('udp4');
socket.on('message', () => {
  arrivalsMs.push(performance.now());
});
socket.bind(Number(portText), address, () => {
  console.log(JSON.stringify({ port: socket.address().port }));
});
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'report') {
    console.log(JSON.stringify({ arrivalsMs }));
    arrivalsMs = [];
  } else if (line === 'exit') {
    break;
  }
}
socket.close();
