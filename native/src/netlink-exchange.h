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
Napi::Promise StartExchange(Napi::Env env, NetlinkSocket* socket, Napi::Buffer<uint8_t> data,
                            std::vector<size_t> chunkEnds, ExchangeMode mode, uint32_t untilSeq, int timeoutMs,
                            Napi::Value into);

}  // namespace tandem
