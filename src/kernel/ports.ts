/**
 * ports: the typed interfaces through which tandem's owners reach the kernel's addresses,
 * links, ARP/NA announcements and the service manager. Each has a real implementation in
 * src/kernel and an in-memory fake in test/fakes that passes the same contract suite.
 */

/** AddressFamily is 4 or 6. */
export type AddressFamily = 4 | 6;

/** InterfaceAddress is one address on one interface, as the kernel lists it. */
export interface InterfaceAddress {
  readonly ifindex: number;
  readonly family: AddressFamily;
  /** address in canonical text (RFC 5952 for IPv6), so it compares equal to config keys. */
  readonly address: string;
  readonly prefixLength: number;
  /** flags are the IFA_F_* bits (src/kernel/rtnetlink/constants.ts), e.g. NODAD, TENTATIVE. */
  readonly flags: number;
}

/** AddressSpec names an address to add or remove: the family follows from the text. */
export interface AddressSpec {
  readonly ifindex: number;
  readonly address: string;
  readonly prefixLength: number;
}

/** AddOutcome: 'already-present' is the kernel's EEXIST, benign for an idempotent owner. */
export type AddOutcome = 'added' | 'already-present';
/** RemoveOutcome: 'absent' is the kernel's EADDRNOTAVAIL, benign for an idempotent owner. */
export type RemoveOutcome = 'removed' | 'absent';

/**
 * ResyncEvent says the notification stream can no longer be trusted: the kernel dropped
 * some (ENOBUFS on a full receive buffer, reason 'overrun') or a datagram did not decode
 * ('unreadable'). The subscriber's picture is stale and it must list() again.
 */
export interface ResyncEvent {
  readonly kind: 'resync';
  readonly reason: 'overrun' | 'unreadable';
  readonly detail: string;
}

/**
 * AddressEvent is one RTM_NEWADDR or RTM_DELADDR notification. 'added' also covers a change
 * to an address already present (DAD finishing, new lifetimes): the kernel sends RTM_NEWADDR
 * for both.
 */
export interface AddressEvent {
  readonly kind: 'address';
  readonly change: 'added' | 'removed';
  readonly address: InterfaceAddress;
}

/** Unsubscribe stops the notifications of one subscription; safe to call twice. */
export type Unsubscribe = () => void;

/**
 * AddressPort adds and removes interface addresses (the VIPs). Kernel refusals other than the
 * two benign outcomes reject with a NetlinkError whose `code` is the errno name (ENODEV for an
 * interface that is gone, EPERM without CAP_NET_ADMIN) and whose message names the address,
 * the interface and what to do.
 */
export interface AddressPort {
  /** list returns every IPv4 and IPv6 address, or only those of interface `ifindex`. */
  list(ifindex?: number): Promise<InterfaceAddress[]>;
  /**
   * add puts an address on an interface. IPv6 addresses get IFA_F_NODAD, as keepalived's do:
   * a VIP must answer at once after a failover, not after a second of duplicate detection.
   */
  add(address: AddressSpec): Promise<AddOutcome>;
  /** remove deletes the address with exactly this ifindex, address and prefix length. */
  remove(address: AddressSpec): Promise<RemoveOutcome>;
  /** subscribe delivers address notifications (both families) until unsubscribed. */
  subscribe(handler: (event: AddressEvent | ResyncEvent) => void): Unsubscribe;
}

/** OperState is RFC 2863 operational status as the kernel reports it in IFLA_OPERSTATE. */
export type OperState = 'unknown' | 'notpresent' | 'down' | 'lowerlayerdown' | 'testing' | 'dormant' | 'up';

/** Link is one network interface. */
export interface Link {
  readonly index: number;
  readonly name: string;
  /** mac is the hardware address (IFLA_ADDRESS) when it is a 6-byte Ethernet one. */
  readonly mac: string | undefined;
  /** up is IFF_UP: administratively up. */
  readonly up: boolean;
  /** lowerUp is IFF_LOWER_UP: the driver sees carrier. */
  readonly lowerUp: boolean;
  /** running is IFF_RUNNING: operationally up (RFC 2863 "up" or "unknown"). */
  readonly running: boolean;
  readonly operState: OperState;
  readonly mtu: number;
}

/** LinkEvent is one RTM_NEWLINK (any change, `deleted` false) or RTM_DELLINK notification. */
export interface LinkEvent {
  readonly kind: 'link';
  readonly link: Link;
  readonly deleted: boolean;
}

/** LinkPort lists interfaces and reports their changes; it never changes them. */
export interface LinkPort {
  list(): Promise<Link[]>;
  /** byName returns the link called `name`, or undefined when there is none. */
  byName(name: string): Promise<Link | undefined>;
  /** subscribe delivers link notifications until unsubscribed. */
  subscribe(handler: (event: LinkEvent | ResyncEvent) => void): Unsubscribe;
}

/** AnnounceTarget is the interface a VIP is announced on: where to send and which MAC to claim. */
export interface AnnounceTarget {
  readonly ifindex: number;
  readonly mac: string;
}

/**
 * AnnouncePort sends one gratuitous ARP (IPv4) or unsolicited neighbour advertisement (IPv6)
 * for one VIP. Repeats and spacing belong to the caller. Rejects with the packet socket's
 * errno error (ENETDOWN on a down interface, ENXIO for a missing one).
 */
export interface AnnouncePort {
  announce(vip: string, target: AnnounceTarget): Promise<void>;
}

/**
 * NotifyPort is the service manager's view of tandem (sd_notify(3)); Notifier in
 * src/kernel/notify.ts implements it. Each optional `status` becomes STATUS=.
 */
export interface NotifyPort {
  ready(status?: string): void;
  reloading(status?: string): void;
  stopping(status?: string): void;
  watchdog(): void;
  status(text: string): void;
}

/** FrameSender is the part of the packet socket (src/kernel/packet-socket.ts) the announcer uses. */
export interface FrameSender {
  sendFrame(ifindex: number, frame: Buffer): void;
}
