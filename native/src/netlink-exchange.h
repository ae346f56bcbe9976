// StartExchange: queues one netlink exchange (ExchangeWorker) on libuv's thread pool.
#pragma once
#include <napi.h>

#include <cstdint>
#include <vector>

#include "netlink-socket.h"

namespace tandem {

// StartExchange sends `data` over `socket` in the datagrams that end at `chunkEnds` and
// resolves with the replies, as `mode` says (see ExchangeWorker in netlink-exchange.cc). The
// socket must not be busy; the worker calls socket->ExchangeFinished() when done with the fd.
// `into` is the caller's receive buffer (InTurn) or undefined.
//
// beginHere (Together only) makes the calling thread, the JS thread, send the chunks and read
// the replies already queued, without polling: for a small write request the kernel runs
// the handler inside sendmsg and queues its ack before sendmsg returns, so the exchange ends
// there, settled before this returns, with no hop to the pool and back. Only a reply not yet
// queued is waited for on the pool. sendmsg itself may still sleep: the handler runs under
// its family's kernel locks (a generic netlink family without parallel_ops, as IPVS is, under
// genl_mutex, and IPVS's own under __ip_vs_mutex), which another socket's dump holds while it
// fills each reply. The caller decides what is small (src/netlink/native-transport.ts).
Napi::Promise StartExchange(Napi::Env env, NetlinkSocket* socket, Napi::Buffer<uint8_t> data,
                            std::vector<size_t> chunkEnds, ExchangeMode mode, uint32_t untilSeq, int timeoutMs,
                            Napi::Value into, bool beginHere);

}  // namespace tandem
