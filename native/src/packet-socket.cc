// PacketSocket: raw Ethernet frames for gratuitous ARP and unsolicited neighbour
// advertisements. The frames are built in TypeScript; this file only moves bytes.
//
// THREADING CHOICE. sendFrame runs on the JS thread. sendto on a non-blocking packet socket
// hands one frame (< 100 bytes for ARP/NA) to the device queue and returns; it does no
// per-message kernel processing that grows with input, and it never waits (a full queue
// fails with EAGAIN/ENOBUFS instead). A pool-thread hop would cost more than the call.
// Received frames come through DatagramPoller on the main loop (see datagram-poller.h).
#include "packet-socket.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "errno-error.h"

namespace tandem {

Napi::Function PacketSocket::Define(Napi::Env env) {
  return DefineClass(env, "PacketSocket",
                     {
                         InstanceMethod<&PacketSocket::SendFrame>("sendFrame"),
                         InstanceMethod<&PacketSocket::Listen>("listen"),
                         InstanceMethod<&PacketSocket::Close>("close"),
                     });
}

PacketSocket::PacketSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PacketSocket>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    throw Napi::TypeError::New(env, "PacketSocket(protocol: number, ifindex: number)");
  }
  uint32_t protocol = info[0].As<Napi::Number>().Uint32Value();
  int ifindex = info[1].As<Napi::Number>().Int32Value();
  if (protocol > 0xffff) throw Napi::RangeError::New(env, "PacketSocket: protocol is a 16-bit EtherType");
  // Protocol 0 receives nothing (packet(7)); binding below then starts reception for exactly
  // one protocol and interface, so no frame from elsewhere is queued in between.
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw ErrnoError(env, errno, "socket");
  if (protocol != 0) {
    struct sockaddr_ll local = {};
    local.sll_family = AF_PACKET;
    local.sll_protocol = htons(static_cast<uint16_t>(protocol));
    local.sll_ifindex = ifindex;
    if (bind(fd, reinterpret_cast<struct sockaddr*>(&local), sizeof local) != 0) {
      int err = errno;
      close(fd);
      throw ErrnoError(env, err, "bind");
    }
  }
  fd_ = fd;
}

PacketSocket::~PacketSocket() {
  // Only reached when not listening (listen holds a reference), so the poller is gone.
  if (poller_) poller_->Stop();
  if (fd_ >= 0) close(fd_);
}

void PacketSocket::SendFrame(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsBuffer()) {
    throw Napi::TypeError::New(env, "sendFrame(ifindex: number, frame: Buffer)");
  }
  int ifindex = info[0].As<Napi::Number>().Int32Value();
  Napi::Buffer<uint8_t> frame = info[1].As<Napi::Buffer<uint8_t>>();
  if (fd_ < 0) throw ErrnoError(env, EBADF, "sendto");
  if (frame.Length() < ETH_HLEN) throw ErrnoError(env, EINVAL, "sendto");
  struct sockaddr_ll to = {};
  to.sll_family = AF_PACKET;
  std::memcpy(&to.sll_protocol, frame.Data() + 12, 2);  // EtherType, already big-endian
  to.sll_ifindex = ifindex;
  to.sll_halen = ETH_ALEN;
  std::memcpy(to.sll_addr, frame.Data(), ETH_ALEN);  // destination MAC
  ssize_t sent;
  do {
    sent = sendto(fd_, frame.Data(), frame.Length(), 0, reinterpret_cast<struct sockaddr*>(&to), sizeof to);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) throw ErrnoError(env, errno, "sendto");
}

void PacketSocket::Listen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    throw Napi::TypeError::New(env, "listen(callback: (error, frames) => void)");
  }
  if (fd_ < 0) throw ErrnoError(env, EBADF, "uv_poll_start");
  if (poller_) throw ErrnoError(env, EBUSY, "uv_poll_start");
  poller_ = std::make_unique<DatagramPoller>(env, fd_, info[0].As<Napi::Function>());
  Ref();  // a listening socket stays alive until closed, even if JS drops it
}

void PacketSocket::Close(const Napi::CallbackInfo& /*info*/) {
  if (poller_) {
    poller_->Stop();
    poller_.reset();
    Unref();
  }
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
}

}  // namespace tandem
