/**
 * run: `tandem run --config FILE [--node NAME]`, the daemon. It opens the real kernel ports
 * (one NETLINK_ROUTE socket for addresses and links, one packet socket for GARP/NA, two
 * NETLINK_GENERIC sockets for IPVS: writes and sync daemons on one, the IPVS owner's table reads
 * on the other), starts the Daemon, and maps signals: SIGTERM and SIGINT stop it in order,
 * SIGHUP reloads the config.
 * The exit status is 0 after a clean stop and 1 when start-up or the election failed.
 */
import { hostname } from 'node:os';
import { CommanderError, type Command } from 'commander';
import { ConfigError, formatIssue } from '../config/issues.js';
import { Daemon } from '../daemon/daemon.js';
import { createLogger } from '../daemon/logger.js';
import { systemMonotonicClock } from '../election-runtime/monotonic-clock.js';
import { RtnetlinkAddresses } from '../kernel/addresses.js';
import { Announcer } from '../kernel/announcer.js';
import { ProcIpvsSysctls } from '../kernel/ipvs-sysctl.js';
import { RtnetlinkLinks } from '../kernel/links.js';
import { Notifier } from '../kernel/notify.js';
import { PacketSocket } from '../kernel/packet-socket.js';
import { NetlinkIpvs } from '../ipvs/netlink-ipvs.js';
import type { IpvsAccess } from '../daemon/lvs-components.js';
import { NETLINK_ROUTE } from '../netlink/constants.js';
import { GenericFamilyMissingError } from '../netlink/generic-family.js';
import { NativeNetlinkTransport } from '../netlink/native-transport.js';
import { openIpvsSockets, type IpvsSockets } from './ipvs-sockets.js';

/** RunOptions are the command's flags. */
export interface RunOptions {
  readonly config: string;
  readonly node?: string | undefined;
}

/** EXIT_FAILED is the status after a failed start or a failed election thread; systemd restarts on it. */
export const EXIT_FAILED = 1;

/** runDaemon runs until a stop signal (or a fatal election failure) and returns the exit status. */
export async function runDaemon(options: RunOptions): Promise<number> {
  const log = createLogger({ level: 'info' });
  const notify = new Notifier();
  const opened: { close(): void }[] = [];
  try {
    let daemon: Daemon;
    try {
      const route = NativeNetlinkTransport.open(NETLINK_ROUTE);
      opened.push(route);
      const packets = PacketSocket.openSender();
      opened.push(packets);
      const ipvsSockets = openIpvsSockets();
      opened.push(ipvsSockets.writes, ipvsSockets.reads);
      daemon = await Daemon.start(
        { configFile: options.config, node: options.node, hostname: hostname(), watchdogIntervalMs: notify.watchdogIntervalMs },
        {
          addresses: new RtnetlinkAddresses(route),
          links: new RtnetlinkLinks(route),
          announcer: new Announcer(packets),
          notify,
          ipvs: await openIpvs(ipvsSockets),
          clock: systemMonotonicClock(),
          log,
        },
      );
    } catch (error) {
      if (error instanceof ConfigError) for (const issue of error.issues) process.stderr.write(`${formatIssue(issue)}\n`);
      log.fatal({ component: 'daemon', event: 'daemon.start.failed', err: error }, 'could not start');
      return EXIT_FAILED;
    }
    const stop = (): void => void daemon.stop();
    const reload = (): void => void daemon.reload();
    process.on('SIGTERM', stop).on('SIGINT', stop).on('SIGHUP', reload);
    const exit = await daemon.exited;
    process.off('SIGTERM', stop).off('SIGINT', stop).off('SIGHUP', reload);
    return exit.code === 0 ? 0 : EXIT_FAILED;
  } finally {
    for (const resource of opened.reverse()) resource.close();
  }
}

/**
 * openIpvs resolves the IPVS family on both sockets (writes, and the owner's table reads), with the gate between them. Its absence (no ip_vs module) is not an error yet: the
 * daemon decides, because a director without virtual servers or a sync daemon can run without it.
 */
async function openIpvs({ writes, reads, writesFirst }: IpvsSockets): Promise<IpvsAccess> {
  try {
    const kernel = await NetlinkIpvs.open(writes);
    return { available: true, kernel, tableReads: await NetlinkIpvs.open(reads), writesFirst, syncSysctls: new ProcIpvsSysctls() };
  } catch (error) {
    if (error instanceof GenericFamilyMissingError) return { available: false, error };
    throw error;
  }
}

/** registerRun adds the run subcommand to the program. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the director daemon: election, VIPs, health checks, the IPVS table and the sync daemons')
    .requiredOption('--config <file>', 'the YAML config file')
    .option('--node <name>', 'run as this node (default: the node whose hostname or name is this host)')
    .action(async (options: RunOptions) => {
      const status = await runDaemon(options);
      if (status !== 0) throw new CommanderError(status, 'tandem.runFailed', 'tandem run failed');
    });
}
