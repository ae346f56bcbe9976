// PacketSocket: an AF_PACKET SOCK_RAW socket that sends whole Ethernet frames, and optionally
// receives the frames of one protocol on one interface.
#pragma once
#include <napi.h>

#include <memory>

#include "datagram-poller.h"

namespace tandem {

// JS surface (typed in src/kernel/native.ts):
//   new PacketSocket(protocol: number, ifindex: number)
//     protocol 0 opens a send-only socket; otherwise the socket is bound to that EtherType
//     (host order, e.g. 0x0806) on `ifindex` (0 = every interface) and can listen().
//   sendFrame(ifindex: number, frame: Buffer): void
//   listen(callback: (error, frames: Buffer[]) => void): void
//   close(): void
class PacketSocket : public Napi::ObjectWrap<PacketSocket> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit PacketSocket(const Napi::CallbackInfo& info);
  ~PacketSocket() override;

 private:
  void SendFrame(const Napi::CallbackInfo& info);
  void Listen(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);

  int fd_ = -1;
  std::unique_ptr<DatagramPoller> poller_;
};

}  // namespace tandem
