// TcpProber: TCP connect checks as bare system calls, completed through one epoll instance.
//
// THREADING CHOICE. Everything runs on the JS thread. socket, bind and connect on a
// non-blocking socket only queue a SYN and return; the handshake completes in the kernel
// while the loop does other work. The epoll fd is level-triggered readable while any connect
// has finished, so a uv_poll on it wakes the loop once for a whole batch, and one epoll_wait
// with timeout 0 collects that batch without blocking. A pool-thread hop would cost more than
// the calls themselves.
//
// Each socket is registered once, EPOLLOUT | EPOLLET, when it is created, and stays in the set
// while it is reused. Edge-triggered, a connect that ends either way wakes the set once (the
// state change or the error report); epoll_wait then polls the socket afresh and reports what
// is true now (epoll(7)), so a wakeup left over from a socket's previous use finds it connecting
// again and reports nothing. Events are matched to connects by fd: an fd that is idle, or whose
// connect was cancelled, is ignored. Every close is preceded by EPOLL_CTL_DEL, so no entry can
// outlive its fd (as it would while a forked child still held the file description).
//
#include "tcp-prober.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "errno-error.h"
#include "event-loop.h"

namespace tandem {

namespace {

// SockAddr is a parsed IPv4 or IPv6 address and port.
struct SockAddr {
  sockaddr_storage storage;
  socklen_t length;
  int family;
};

// ParseAddress fills `out` from a numeric address string (inet_pton(3)); false when it is
// neither an IPv4 nor an IPv6 address.
bool ParseAddress(napi_env env, napi_value value, uint16_t port, SockAddr* out) {
  // INET6_ADDRSTRLEN (46) holds the longest textual IPv6 address and its NUL.
  char text[INET6_ADDRSTRLEN + 1];
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, text, sizeof text, &length) != napi_ok) return false;
  if (length >= INET6_ADDRSTRLEN) return false;
  std::memset(&out->storage, 0, sizeof out->storage);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out->storage);
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    out->length = sizeof(sockaddr_in);
    out->family = AF_INET;
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out->storage);
  if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    out->length = sizeof(sockaddr_in6);
    out->family = AF_INET6;
    return true;
  }
  return false;
}

// ResetAndClose closes `fd` with SO_LINGER {1, 0}: an established connection is aborted with
// a RST instead of a FIN, so the socket skips FIN_WAIT and TIME_WAIT (socket(7) SO_LINGER).
void ResetAndClose(int fd) {
  linger abort = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  close(fd);
}


}  // namespace

Napi::Function TcpProber::Define(Napi::Env env) {
  return DefineClass(env, "TcpProber",
                     {
                         InstanceMethod<&TcpProber::Connect>("connect"),
                         InstanceMethod<&TcpProber::Cancel>("cancel"),
                         InstanceMethod<&TcpProber::Close>("close"),
                     });
}

TcpProber::TcpProber(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<TcpProber>(info), context_(info.Env(), "tandem:tcp-prober") {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsFunction() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(env, "TcpProber(results: Int32Array, onSettled: (count: number) => void)");
  }
  auto results = info[0].As<Napi::Int32Array>();
  if (results.ElementLength() < 2) throw Napi::RangeError::New(env, "TcpProber: results must hold at least one (id, errno) pair");
  resultsRef_ = Napi::Persistent(results);
  results_ = results.Data();
  resultPairs_ = results.ElementLength() / 2;
  onSettled_ = Napi::Persistent(info[1].As<Napi::Function>());

  // Look the loop up before opening anything: a constructor that throws never runs the
  // destructor, so whatever is open by then must be released by hand.
  uv_loop_t* loop = EventLoopOf(env, "TcpProber");
  epollFd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epollFd_ < 0) throw ErrnoError(env, errno, "epoll_create1");
  handle_ = new uv_poll_t;
  int err = uv_poll_init(loop, handle_, epollFd_);
  if (err != 0) {
    delete handle_;
    handle_ = nullptr;
    close(epollFd_);
    epollFd_ = -1;
    throw ErrnoError(env, -err, "uv_poll_init");
  }
  handle_->data = this;
  err = uv_poll_start(handle_, UV_READABLE, OnReadable);
  if (err != 0) {
    CloseAll();
    throw ErrnoError(env, -err, "uv_poll_start");
  }
  // Nothing is in flight yet: an idle prober must not keep the process alive.
  uv_unref(reinterpret_cast<uv_handle_t*>(handle_));
}

TcpProber::~TcpProber() { CloseAll(); }

Napi::Value TcpProber::Connect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (epollFd_ < 0) throw ErrnoError(env, EBADF, "connect");
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsNumber() || !(info[2].IsString() || info[2].IsNull())) {
    throw Napi::TypeError::New(env, "connect(address: string, port: number, sourceAddress: string | null)");
  }
  uint32_t port = info[1].As<Napi::Number>().Uint32Value();
  if (port == 0 || port > 0xffff) throw ErrnoError(env, EINVAL, "connect");
  SockAddr target;
  if (!ParseAddress(env, info[0], static_cast<uint16_t>(port), &target)) throw ErrnoError(env, EINVAL, "inet_pton");
  SockAddr source;
  bool bindSource = info[2].IsString();
  if (bindSource && !ParseAddress(env, info[2], 0, &source)) throw ErrnoError(env, EINVAL, "inet_pton");
  if (bindSource && source.family != target.family) throw ErrnoError(env, EAFNOSUPPORT, "bind");
  if (inFlight_ >= kMaxInFlight) throw ErrnoError(env, ENOBUFS, "connect");

  int list = target.family == AF_INET ? 0 : 1;
  int fd;
  if (!bindSource && !idle_[list].empty()) {
    fd = idle_[list].back();
    idle_[list].pop_back();
  } else {
    fd = OpenSocket(env, target.family);
  }
  if (bindSource) {
    // IP_BIND_ADDRESS_NO_PORT defers the local port to connect(), which may then reuse a port
    // towards every other destination; bind() with port 0 alone would reserve one port per
    // socket and run out at ~28k probes in flight (ip(7)).
    int on = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
    if (bind(fd, reinterpret_cast<sockaddr*>(&source.storage), source.length) != 0) {
      int bindErr = errno;
      CloseSocket(fd);
      throw ErrnoError(env, bindErr, "bind");
    }
  }
  int idleList = bindSource ? -1 : list;
  if (connect(fd, reinterpret_cast<sockaddr*>(&target.storage), target.length) == 0) {
    Recycle(fd, idleList);
    return Napi::Number::New(env, 0);
  }
  if (errno != EINPROGRESS) {
    int connectErr = errno;
    Recycle(fd, idleList);
    return Napi::Number::New(env, -connectErr);
  }

  uint32_t id;
  if (freeIds_.empty()) {
    slots_.push_back(Slot{-1, -1});
    id = static_cast<uint32_t>(slots_.size());
  } else {
    id = freeIds_.back();
    freeIds_.pop_back();
  }
  slots_[id - 1] = Slot{fd, idleList};
  idOfFd_[fd] = id;
  if (inFlight_++ == 0) uv_ref(reinterpret_cast<uv_handle_t*>(handle_));
  return Napi::Number::New(env, id);
}

int TcpProber::OpenSocket(Napi::Env env, int family) {
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw ErrnoError(env, errno, "socket");
  epoll_event event;
  event.events = EPOLLOUT | EPOLLET;
  event.data.fd = fd;
  if (epoll_ctl(epollFd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    int ctlErr = errno;
    close(fd);
    throw ErrnoError(env, ctlErr, "epoll_ctl");
  }
  if (static_cast<size_t>(fd) >= idOfFd_.size()) idOfFd_.resize(static_cast<size_t>(fd) + 1, 0);
  return fd;
}

void TcpProber::CloseSocket(int fd) {
  epoll_ctl(epollFd_, EPOLL_CTL_DEL, fd, nullptr);
  idOfFd_[fd] = 0;
  ResetAndClose(fd);
}

Napi::Value TcpProber::Cancel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "cancel(id: number)");
  int64_t id = info[0].As<Napi::Number>().Int64Value();
  if (id < 1 || static_cast<uint64_t>(id) > slots_.size() || slots_[id - 1].fd < 0) return Napi::Boolean::New(env, false);
  // The handshake may have completed since the last harvest: CloseSocket resets it rather than FIN it.
  CloseSocket(slots_[id - 1].fd);
  Release(static_cast<uint32_t>(id));
  return Napi::Boolean::New(env, true);
}

void TcpProber::Close(const Napi::CallbackInfo& /*info*/) { CloseAll(); }

void TcpProber::Release(uint32_t id, bool reuseLater) {
  int fd = slots_[id - 1].fd;
  if (idOfFd_[fd] == id) idOfFd_[fd] = 0;
  slots_[id - 1].fd = -1;
  (reuseLater ? harvested_ : freeIds_).push_back(id);
  if (--inFlight_ == 0 && handle_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(handle_));
}

void TcpProber::Recycle(int fd, int list) {
  if (list >= 0 && idle_[list].size() < kMaxIdle) {
    // AF_UNSPEC dissolves the association: tcp_disconnect() sends the RST an established
    // connection needs and leaves the socket unconnected, its port released.
    sockaddr unspec;
    std::memset(&unspec, 0, sizeof unspec);
    unspec.sa_family = AF_UNSPEC;
    if (connect(fd, &unspec, sizeof unspec) == 0) {
      idle_[list].push_back(fd);
      return;
    }
  }
  CloseSocket(fd);
}

void TcpProber::CloseAll() {
  if (epollFd_ < 0) return;
  for (uint32_t id = 1; id <= slots_.size(); id++) {
    int fd = slots_[id - 1].fd;
    if (fd >= 0) {
      Release(id);
      CloseSocket(fd);
    }
  }
  for (std::vector<int>& list : idle_) {
    for (int fd : list) CloseSocket(fd);
    list.clear();
  }
  if (handle_ != nullptr) {
    uv_poll_stop(handle_);
    handle_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(handle_), [](uv_handle_t* closed) { delete reinterpret_cast<uv_poll_t*>(closed); });
    handle_ = nullptr;
  }
  if (epollFd_ >= 0) {
    close(epollFd_);
    epollFd_ = -1;
  }
}

void TcpProber::OnReadable(uv_poll_t* handle, int status, int /*events*/) {
  auto* self = static_cast<TcpProber*>(handle->data);
  if (self != nullptr) self->Harvest(status);
}

void TcpProber::Harvest(int pollStatus) {
  // libuv stops a handle whose fd reported EPOLLERR; an epoll fd never does, but restart it
  // anyway so a spurious error cannot strand the connects in flight.
  if (pollStatus < 0 && handle_ != nullptr) uv_poll_start(handle_, UV_READABLE, OnReadable);
  size_t limit = resultPairs_;
  size_t count = 0;
  while (count < limit) {
    int room = static_cast<int>(limit - count < kEpollBatch ? limit - count : kEpollBatch);
    int ready = epoll_wait(epollFd_, events_, room, 0);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    for (int i = 0; i < ready; i++) {
      int fd = events_[i].data.fd;
      uint32_t id = idOfFd_[fd];
      // An idle socket (its disconnect woke the set), or one whose connect was cancelled.
      if (id == 0) continue;
      int idleList = slots_[id - 1].idleList;
      int err = 0;
      // A connect that failed raises EPOLLERR; only then is there an error to read (and
      // reading SO_ERROR clears it, tcp(7)).
      if ((events_[i].events & (EPOLLERR | EPOLLHUP)) != 0) {
        socklen_t length = sizeof err;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &length) != 0) err = errno;
        // HUP with no pending error: the peer reset an established connection and the error
        // was already consumed; it is still not a usable connection.
        if (err == 0 && (events_[i].events & EPOLLOUT) == 0) err = ECONNRESET;
      }
      // Reading SO_ERROR above cleared the error, so a failed socket is as reusable as a connected one.
      Release(id, true);
      Recycle(fd, idleList);
      results_[2 * count] = static_cast<int32_t>(id);
      results_[2 * count + 1] = err;
      count++;
    }
    if (ready < room) break;
  }
  if (count == 0) return;
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  try {
    onSettled_.MakeCallback(env.Global(), {Napi::Number::New(env, static_cast<double>(count))}, context_);
  } catch (const Napi::Error& thrown) {
    // A throwing listener is a bug in JS: report it the way Node reports any uncaught error.
    napi_fatal_exception(env, thrown.Value());
  }
  freeIds_.insert(freeIds_.end(), harvested_.begin(), harvested_.end());
  harvested_.clear();
}

}  // namespace tandem
