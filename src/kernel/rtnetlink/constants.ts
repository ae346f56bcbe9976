/**
 * constants: the rtnetlink numbers tandem uses for links and addresses, with the kernel header
 * each comes from (Debian linux-libc-dev, /usr/include/linux/...).
 */

/** Message types (<linux/rtnetlink.h>, enum RTM_*). */
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;

/** Multicast groups, as group numbers (<linux/rtnetlink.h>, enum rtnetlink_groups). */
export const RTNLGRP_LINK = 1;
export const RTNLGRP_IPV4_IFADDR = 5;
export const RTNLGRP_IPV6_IFADDR = 9;

/** Address families (<linux/socket.h>). */
export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

/** struct ifaddrmsg is 8 bytes: family u8, prefixlen u8, flags u8, scope u8, index u32 (<linux/if_addr.h>). */
export const IFADDRMSG_BYTES = 8;
/** Address attributes (<linux/if_addr.h>, enum IFA_*). */
export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_FLAGS = 8;
/**
 * Address flags (<linux/if_addr.h>). The header byte holds the low 8; IFA_FLAGS (u32, Linux
 * 3.14+) holds them all and wins when present.
 */
export const IFA_F_NODAD = 0x02;
export const IFA_F_TENTATIVE = 0x40;
export const IFA_F_PERMANENT = 0x80;
/** Scopes (<linux/rtnetlink.h>, enum rt_scope_t): a VIP is global. */
export const RT_SCOPE_UNIVERSE = 0;

/** struct ifinfomsg is 16 bytes: family u8, pad u8, type u16, index s32, flags u32, change u32 (<linux/rtnetlink.h>). */
export const IFINFOMSG_BYTES = 16;
/** Link attributes (<linux/if_link.h>, enum IFLA_*). */
export const IFLA_ADDRESS = 1;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_OPERSTATE = 16;
/** Device flags (<linux/if.h>, enum net_device_flags). */
export const IFF_UP = 0x1;
export const IFF_RUNNING = 0x40;
export const IFF_LOWER_UP = 0x10000;
