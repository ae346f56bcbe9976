// NetlinkSocket: one AF_NETLINK socket (NETLINK_ROUTE or NETLINK_GENERIC) as a JS object.
#pragma once
#include <napi.h>

#include <memory>

#include "datagram-poller.h"

namespace tandem {

// JS surface (typed in src/kernel/native.ts):
//   new NetlinkSocket(protocol: number, groups: number[], receiveBufferBytes: number)
//   portId(): number
//   exchange(data: Buffer, chunkEnds: number[], untilSeq: number, timeoutMs: number, beginHere?: boolean): Promise<Buffer[]>
//   exchangeInTurn(data: Buffer, chunkEnds: number[], timeoutMs: number, into: Buffer): Promise<Buffer>
//   exchangeInRing(data: Buffer, chunkEnds: number[], timeoutMs: number, into: Buffer):
//     Promise<{ bytes: Buffer, ringDumps: number }>
//   listen(callback: (error, datagrams: Buffer[]) => void): void
//   close(): void
// ExchangeMode says whether an exchange sends all its chunks at once, each after the
// previous one's terminal reply, or each as a dump chained in an io_uring (see ExchangeWorker
// in netlink-exchange.cc).
enum class ExchangeMode { Together, InTurn, InRing };

class DumpRing;

class NetlinkSocket : public Napi::ObjectWrap<NetlinkSocket> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit NetlinkSocket(const Napi::CallbackInfo& info);
  ~NetlinkSocket() override;

  int fd() const { return fd_; }
  // ExchangeFinished is called on the JS thread when a worker is done with the fd.
  void ExchangeFinished();
  // Ring returns the socket's io_uring, opening it on first use (or after it was abandoned):
  // 0, or the errno of DumpRing::Open. Only the worker that holds the socket busy calls it.
  int Ring(DumpRing** ring);

 private:
  Napi::Value PortId(const Napi::CallbackInfo& info);
  Napi::Value Exchange(const Napi::CallbackInfo& info);
  Napi::Value ExchangeInTurn(const Napi::CallbackInfo& info);
  Napi::Value ExchangeInRing(const Napi::CallbackInfo& info);
  // Start validates the chunks and queues one exchange on the thread pool.
  // `into` is the caller's receive buffer (exchangeInTurn) or undefined; beginHere: see StartExchange.
  Napi::Value Start(const Napi::CallbackInfo& info, ExchangeMode mode, uint32_t untilSeq, int timeoutMs,
                    Napi::Value into, bool beginHere);
  void Listen(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);
  void CloseNow();
  void RequireOpen(Napi::Env env, const char* what) const;

  int fd_ = -1;
  bool busy_ = false;
  bool closeRequested_ = false;
  std::unique_ptr<DatagramPoller> poller_;
  std::unique_ptr<DumpRing> ring_;
};

}  // namespace tandem
