#include "datagram-poller.h"

#include <sys/socket.h>

#include <cerrno>

#include "errno-error.h"
#include "event-loop.h"

namespace tandem {

DatagramPoller::DatagramPoller(Napi::Env env, int fd, Napi::Function callback)
    : env_(env),
      fd_(fd),
      handle_(new uv_poll_t),
      callback_(Napi::Persistent(callback)),
      context_(env, "tandem:datagram-poller"),
      buffer_(kBufferBytes) {
  int err = uv_poll_init(EventLoopOf(env, "DatagramPoller"), handle_, fd);
  if (err != 0) {
    delete handle_;
    handle_ = nullptr;
    throw ErrnoError(env, -err, "uv_poll_init");
  }
  handle_->data = this;
  err = uv_poll_start(handle_, UV_READABLE, OnReadable);
  if (err != 0) {
    Stop();
    throw ErrnoError(env, -err, "uv_poll_start");
  }
}

DatagramPoller::~DatagramPoller() { Stop(); }

void DatagramPoller::Stop() {
  if (handle_ == nullptr) return;
  uv_poll_stop(handle_);
  handle_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(handle_),
           [](uv_handle_t* closed) { delete reinterpret_cast<uv_poll_t*>(closed); });
  handle_ = nullptr;
}

void DatagramPoller::OnReadable(uv_poll_t* handle, int status, int /*events*/) {
  auto* self = static_cast<DatagramPoller*>(handle->data);
  if (self != nullptr) self->Drain(status);
}

void DatagramPoller::Drain(int pollStatus) {
  Napi::HandleScope scope(env_);
  Napi::Array datagrams = Napi::Array::New(env_);
  int err = 0;
  const char* syscall = "recv";
  bool queueEmpty = false;
  // libuv reports EPOLLERR as UV_EBADF and stops the handle. On a netlink socket EPOLLERR
  // means sk_err is set (ENOBUFS after an overrun): the recv below returns and clears it.
  for (int i = 0; i < kMaxPerEvent; i++) {
    ssize_t n = recv(fd_, buffer_.data(), buffer_.size(), MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        queueEmpty = true;
        break;
      }
      // After an overrun the kernel drops every notification for this socket until its receive
      // queue is read empty (NETLINK_S_CONGESTED, set in netlink_overrun and cleared in
      // netlink_rcv_wake, net/netlink/af_netlink.c). Reporting ENOBUFS at once would let the
      // owner re-dump while that is still so, and a change made between its dump and the end
      // of the drain would be lost for good. So read on, and report once the queue is empty.
      if (errno == ENOBUFS) {
        overrunPending_ = true;
        continue;
      }
      err = errno;
      break;
    }
    if (static_cast<size_t>(n) > buffer_.size()) {
      err = EMSGSIZE;
      break;
    }
    datagrams.Set(datagrams.Length(), Napi::Buffer<uint8_t>::Copy(env_, buffer_.data(), n));
  }
  if (overrunPending_ && queueEmpty) {
    overrunPending_ = false;
    err = ENOBUFS;
  }
  if (pollStatus < 0 && err == 0 && datagrams.Length() == 0) {
    err = -pollStatus;
    syscall = "uv_poll";
  }
  if (pollStatus < 0 && err != EBADF && handle_ != nullptr) {
    int restarted = uv_poll_start(handle_, UV_READABLE, OnReadable);
    if (restarted != 0 && err == 0) {
      err = -restarted;
      syscall = "uv_poll_start";
    }
  }
  if (err == 0 && datagrams.Length() == 0) return;
  Napi::Value error = err == 0 ? env_.Null() : ErrnoError(env_, err, syscall).Value();
  try {
    callback_.MakeCallback(env_.Global(), {error, datagrams}, context_);
  } catch (const Napi::Error& thrown) {
    // A throwing listener is a bug in JS: report it the way Node reports any uncaught error.
    napi_fatal_exception(env_, thrown.Value());
  }
}

}  // namespace tandem
