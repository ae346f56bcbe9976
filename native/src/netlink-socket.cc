// NetlinkSocket: socket setup, a request/reply exchange on libuv's thread pool, and multicast
// listening on the main loop. Mechanism only: which messages to send, and what the replies
// mean, is decided in TypeScript (src/netlink/native-transport.ts).
//
// THREADING CHOICE. exchange() runs sendmsg and recvmsg on a libuv pool thread
// (Napi::AsyncWorker), never on the JS thread. The kernel runs a netlink request's handler
// synchronously inside sendmsg (netlink_rcv_skb walks every message of the datagram), and it
// builds each further page of a dump inside recvmsg. Measured on the host (2 shared cores):
// one 40 KB sendmsg of 1,000 RTM_NEWADDR keeps the kernel busy 13-35 ms, and 5,000 take
// ~400 ms; in a user-mode-linux guest every system call is far slower still. On the JS thread
// that would stall VRRP adverts and look like a dead peer. On the pool, the event loop's
// median delay during a 5,000-request batch stayed at the 1 ms resolution of the monitor.
// The price is one thread hop per exchange: an acked NLMSG_NOOP round trip costs 0.13 ms and
// a 4-link dump 0.22 ms, and batching amortises it.
// The one exception is an exchange begun here (exchange's beginHere, chosen by the caller for
// small batches only): its sends and the reads of replies already queued run on the JS thread,
// and only a wait for a reply not yet queued goes to the pool. In the one-CPU UML guest a
// weight change sent that way held the JS thread 0.16 ms (median) and its p99 round trip
// halved, because each hop to the pool and back is a chance for another runnable thread to
// take the CPU until the next 10 ms tick (bench/verdict-latency/floor.ts).
//
// The exchange itself runs in ExchangeWorker (netlink-exchange.cc).
//
// Multicast notifications (listen) are read on the JS thread through uv_poll: see
// datagram-poller.h for why that is harmless.
#include "netlink-socket.h"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "errno-error.h"
#include "netlink-exchange.h"
#include "netlink-uring.h"

namespace tandem {

namespace {

void SetIntOption(Napi::Env env, int fd, int level, int name, int value, const char* what) {
  if (setsockopt(fd, level, name, &value, sizeof value) != 0) {
    int err = errno;
    close(fd);
    throw ErrnoError(env, err, what);
  }
}
}  // namespace

Napi::Function NetlinkSocket::Define(Napi::Env env) {
  return DefineClass(env, "NetlinkSocket",
                     {
                         InstanceMethod<&NetlinkSocket::PortId>("portId"),
                         InstanceMethod<&NetlinkSocket::Exchange>("exchange"),
                         InstanceMethod<&NetlinkSocket::ExchangeInTurn>("exchangeInTurn"),
                         InstanceMethod<&NetlinkSocket::ExchangeInRing>("exchangeInRing"),
                         InstanceMethod<&NetlinkSocket::Listen>("listen"),
                         InstanceMethod<&NetlinkSocket::Close>("close"),
                     });
}

NetlinkSocket::NetlinkSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NetlinkSocket>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsArray() || !info[2].IsNumber()) {
    throw Napi::TypeError::New(env, "NetlinkSocket(protocol: number, groups: number[], receiveBufferBytes: number)");
  }
  int protocol = info[0].As<Napi::Number>().Int32Value();
  Napi::Array groups = info[1].As<Napi::Array>();
  int receiveBufferBytes = info[2].As<Napi::Number>().Int32Value();

  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
  if (fd < 0) throw ErrnoError(env, errno, "socket");
  // Extended acks carry the kernel's own explanation; capped acks echo only the request's
  // header instead of the whole request (netlink(7), Linux 4.3 and 4.12).
  SetIntOption(env, fd, SOL_NETLINK, NETLINK_EXT_ACK, 1, "setsockopt");
  SetIntOption(env, fd, SOL_NETLINK, NETLINK_CAP_ACK, 1, "setsockopt");
  // SO_RCVBUFFORCE passes net.core.rmem_max but needs CAP_NET_ADMIN; without it, ask for what
  // SO_RCVBUF allows (socket(7)).
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &receiveBufferBytes, sizeof receiveBufferBytes) != 0) {
    SetIntOption(env, fd, SOL_SOCKET, SO_RCVBUF, receiveBufferBytes, "setsockopt");
  }
  struct sockaddr_nl local = {};
  local.nl_family = AF_NETLINK;  // nl_pid 0: the kernel assigns a unique port id
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&local), sizeof local) != 0) {
    int err = errno;
    close(fd);
    throw ErrnoError(env, err, "bind");
  }
  for (uint32_t i = 0; i < groups.Length(); i++) {
    int group = groups.Get(i).As<Napi::Number>().Int32Value();
    SetIntOption(env, fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group, "setsockopt");
  }
  fd_ = fd;
}

NetlinkSocket::~NetlinkSocket() {
  // Reached only when JS holds no reference: not listening (listen holds one) and not busy
  // (the worker holds one), so nothing else uses the fd.
  if (poller_) poller_->Stop();
  if (fd_ >= 0) close(fd_);
}

void NetlinkSocket::RequireOpen(Napi::Env env, const char* what) const {
  if (fd_ < 0 || closeRequested_) throw ErrnoError(env, EBADF, what);
}

Napi::Value NetlinkSocket::PortId(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env, "getsockname");
  struct sockaddr_nl local = {};
  socklen_t length = sizeof local;
  if (getsockname(fd_, reinterpret_cast<struct sockaddr*>(&local), &length) != 0) {
    throw ErrnoError(env, errno, "getsockname");
  }
  return Napi::Number::New(env, local.nl_pid);
}

Napi::Value NetlinkSocket::Exchange(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsBuffer() || !info[1].IsArray() || !info[2].IsNumber() ||
      !info[3].IsNumber()) {
    throw Napi::TypeError::New(env, "exchange(data: Buffer, chunkEnds: number[], untilSeq: number, timeoutMs: number, beginHere?: boolean)");
  }
  bool beginHere = info.Length() > 4 && info[4].ToBoolean().Value();
  return Start(info, ExchangeMode::Together, info[2].As<Napi::Number>().Uint32Value(),
               info[3].As<Napi::Number>().Int32Value(), env.Undefined(), beginHere);
}

Napi::Value NetlinkSocket::ExchangeInTurn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsBuffer() || !info[1].IsArray() || !info[2].IsNumber() || !info[3].IsBuffer()) {
    throw Napi::TypeError::New(env, "exchangeInTurn(data: Buffer, chunkEnds: number[], timeoutMs: number, into: Buffer)");
  }
  return Start(info, ExchangeMode::InTurn, 0, info[2].As<Napi::Number>().Int32Value(), info[3], false);
}

Napi::Value NetlinkSocket::ExchangeInRing(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsBuffer() || !info[1].IsArray() || !info[2].IsNumber() || !info[3].IsBuffer()) {
    throw Napi::TypeError::New(env, "exchangeInRing(data: Buffer, chunkEnds: number[], timeoutMs: number, into: Buffer)");
  }
  return Start(info, ExchangeMode::InRing, 0, info[2].As<Napi::Number>().Int32Value(), info[3], false);
}

int NetlinkSocket::Ring(DumpRing** ring) {
  if (!ring_ || ring_->Broken()) {
    ring_.reset();
    int err = DumpRing::Open(&ring_);
    if (err != 0) return err;
  }
  *ring = ring_.get();
  return 0;
}

Napi::Value NetlinkSocket::Start(const Napi::CallbackInfo& info, ExchangeMode mode, uint32_t untilSeq, int timeoutMs,
                                 Napi::Value into, bool beginHere) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> data = info[0].As<Napi::Buffer<uint8_t>>();
  Napi::Array ends = info[1].As<Napi::Array>();
  std::vector<size_t> chunkEnds;
  size_t previous = 0;
  for (uint32_t i = 0; i < ends.Length(); i++) {
    int64_t end = ends.Get(i).As<Napi::Number>().Int64Value();
    if (end <= static_cast<int64_t>(previous) || end > static_cast<int64_t>(data.Length())) {
      throw Napi::RangeError::New(env, "exchange: chunkEnds must increase and stay within data");
    }
    chunkEnds.push_back(static_cast<size_t>(end));
    previous = static_cast<size_t>(end);
  }
  RequireOpen(env, "sendmsg");
  // The transport queues its calls; two exchanges at once would steal each other's replies.
  if (busy_) throw ErrnoError(env, EBUSY, "sendmsg");
  busy_ = true;
  return StartExchange(env, this, data, std::move(chunkEnds), mode, untilSeq, timeoutMs, into, beginHere);
}

void NetlinkSocket::ExchangeFinished() {
  busy_ = false;
  if (closeRequested_) CloseNow();
}

void NetlinkSocket::Listen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    throw Napi::TypeError::New(env, "listen(callback: (error, datagrams) => void)");
  }
  RequireOpen(env, "uv_poll_start");
  if (poller_) throw ErrnoError(env, EBUSY, "uv_poll_start");
  poller_ = std::make_unique<DatagramPoller>(env, fd_, info[0].As<Napi::Function>());
  Ref();  // a listening socket stays alive until closed, even if JS drops it
}

void NetlinkSocket::Close(const Napi::CallbackInfo& /*info*/) {
  if (closeRequested_ || fd_ < 0) return;
  closeRequested_ = true;
  // A pool thread may be using the fd: close it when that exchange finishes, so the number
  // cannot be reused under the worker's feet.
  if (!busy_) CloseNow();
}

void NetlinkSocket::CloseNow() {
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
