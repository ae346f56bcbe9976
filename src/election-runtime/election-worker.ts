/**
 * election-worker: the election thread's entry point (a worker_threads Worker started by
 * election-runtime.ts). Unlike other modules it acts when loaded, because loading it is how a
 * worker starts; it refuses to run anywhere else.
 *
 * The thread owns the election state, its UDP sockets and its timers. It has its own event loop
 * and V8 heap, so health checks, IPVS dumps and garbage collection on the main thread do not
 * delay adverts or masterDown timers.
 */
import { randomBytes } from 'node:crypto';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { initialElectionState, type ElectionState } from '../election/election-state.js';
import { ElectionDriver } from './election-driver.js';
import { allocationFloor } from './allocation-floor.js';
import { loopDelaySampler } from './loop-delay.js';
import { serializeError, type ElectionWorkerInit, type FromElectionThread, type ToElectionThread } from './messages.js';
import { systemMonotonicClock } from './monotonic-clock.js';
import { setCurrentThreadPriority } from './thread-priority.js';
import { UdpTransport } from './udp-transport.js';

if (parentPort === null) throw new Error('election-worker.ts is a worker thread entry point; start it with startElectionRuntime()');
await runElectionThread(parentPort, workerData as ElectionWorkerInit);

async function runElectionThread(port: MessagePort, init: ElectionWorkerInit): Promise<void> {
  const post = (message: FromElectionThread): void => {
    port.postMessage(message);
  };
  let state: ElectionState;
  let transport: UdpTransport;
  try {
    // A random 64-bit epoch per boot numbers our adverts (docs/protocol.md "Anti-replay").
    state = initialElectionState(init.election, randomBytes(8).readBigUInt64BE());
    // The open() promise settles in the bind callback and this function resumes in the same
    // microtask checkpoint, before any datagram callback, so `driver` is set before one arrives.
    transport = await UdpTransport.open(init.transport, (bytes) => {
      driver.receive(bytes);
    });
  } catch (error) {
    post({ kind: 'failed', error: serializeError(error) });
    port.close();
    return;
  }
  const clock = systemMonotonicClock();
  const loopDelay = loopDelaySampler(clock);
  // Keeps the thread's young generation mapped, so its scavenges take no mmap lock (allocation-floor.ts).
  const floor = allocationFloor(clock);
  const driver: ElectionDriver = new ElectionDriver(
    state,
    {
      clock,
      loopDelay,
      transport,
      notify: (notice) => {
        post({ kind: 'notice', notice });
      },
      stopped: (status) => {
        loopDelay.close();
        floor.close();
        void transport.close().then(() => {
          post({ kind: 'stopped', status });
          port.close();
        });
      },
    },
    init.rejectLogWindowMs,
  );
  port.on('message', (message: ToElectionThread) => {
    switch (message.kind) {
      case 'event':
        driver.control(message.event);
        return;
      case 'shutdown':
        driver.shutdown();
        return;
      case 'statusRequest':
        post({ kind: 'status', requestId: message.requestId, status: driver.status() });
        return;
    }
  });
  const priority = init.threadScheduling === null ? null : setCurrentThreadPriority(init.threadScheduling);
  post({ kind: 'ready', bound: transport.boundEndpoints(), priority });
  driver.start();
}
