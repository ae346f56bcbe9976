// DatagramPoller: readable events for one non-blocking datagram socket, on Node's main loop.
#pragma once
#include <napi.h>
#include <uv.h>

#include <vector>

namespace tandem {

// DatagramPoller watches `fd` with a uv_poll handle on the env's event loop. On each readable
// event it drains the socket (recv with MSG_DONTWAIT until EAGAIN, at most kMaxPerEvent
// datagrams, so one flood cannot starve the loop; level-triggered polling fires again) and calls
//   callback(error: Error | null, datagrams: Buffer[])
// once. A failed recv (EMSGSIZE for a datagram larger than the receive buffer, or any other
// socket error) is passed as a Node-style errno error, together with whatever was read before it.
// ENOBUFS (the kernel dropped netlink notifications) is held back until the receive queue has
// been read empty, see Drain. It does not own the fd: the socket closes it after Stop().
//
// Threading: receiving here runs on the JS thread. That is harmless because each recv copies
// one already-queued small datagram (a multicast notification or an Ethernet frame): no kernel
// work such as building a dump page happens in it.
class DatagramPoller {
 public:
  DatagramPoller(Napi::Env env, int fd, Napi::Function callback);
  ~DatagramPoller();
  DatagramPoller(const DatagramPoller&) = delete;
  DatagramPoller& operator=(const DatagramPoller&) = delete;

  // Stop ends polling; safe to call more than once. The uv handle is freed by libuv's close
  // callback, after which no event can arrive.
  void Stop();

 private:
  static constexpr int kMaxPerEvent = 256;
  // 64 KiB holds the largest netlink notification and any Ethernet frame (MTU 65535 on lo).
  static constexpr size_t kBufferBytes = 65536;

  static void OnReadable(uv_poll_t* handle, int status, int events);
  void Drain(int pollStatus);

  Napi::Env env_;
  int fd_;
  uv_poll_t* handle_;
  Napi::FunctionReference callback_;
  Napi::AsyncContext context_;
  std::vector<uint8_t> buffer_;
  // overrunPending_: recv reported ENOBUFS, but the datagrams queued before the drop are not
  // all read yet, so the kernel is still discarding new notifications.
  bool overrunPending_ = false;
};

}  // namespace tandem
