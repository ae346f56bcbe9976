// TcpProber: many non-blocking TCP connects at once, completed through one epoll instance that
// Node's loop watches. System calls only: what a result means is decided in TypeScript.
#pragma once
#include <napi.h>
#include <sys/epoll.h>
#include <uv.h>

#include <cstdint>
#include <vector>

namespace tandem {

// JS surface (typed in src/kernel/native.ts):
//   new TcpProber(results: Int32Array, onSettled: (count: number) => void)
//     `results` must hold an even number of slots; its first 2 × count entries are overwritten
//     with (id, errno) pairs just before each onSettled(count) call.
//   connect(address: string, port: number, sourceAddress: string | null): number
//     socket(2) + optional bind(2) + connect(2). Returns an id > 0 while the connect is in
//     flight (onSettled reports it later), or what connect(2) ended with at once: 0 (connected,
//     already reset) or a negative errno (libuv's convention). A failed socket,
//     bind, epoll_ctl or an unparsable address throws a Node-style errno error.
//   cancel(id: number): boolean
//     Drops a connect still in flight (no report follows); false when `id` is not in flight.
//   close(): void
//     Drops every connect in flight and closes the epoll instance; safe to call twice.
//
// An established connection is always reset, never closed with a FIN, so no TIME_WAIT is left
// behind (tcp(7)). A socket that was not bound to a source address is then kept for the next
// connect of its family: connect(2) with AF_UNSPEC sends the RST and returns it to the
// unconnected state (connect(2), "dissolve the association"), which costs the kernel about a
// third less than socket(2) + SO_LINGER {1, 0} + close(2). At most kMaxIdle sockets per family
// are kept; idle ones are only fds, and close() releases them. Bound sockets, cancelled connects
// and anything the disconnect refuses are closed with SO_LINGER {1, 0} instead.
class TcpProber : public Napi::ObjectWrap<TcpProber> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit TcpProber(const Napi::CallbackInfo& info);
  ~TcpProber() override;

 private:
  // A readable event hands JS at most as many completions as `results` holds (the caller
  // chooses the bound); libuv polls level-triggered, so the rest fire on the next turn.
  static constexpr int kEpollBatch = 256;
  // kMaxInFlight bounds the id table (ids are reused, so it is the peak number in flight).
  static constexpr uint32_t kMaxInFlight = 1u << 20;

  // kMaxIdle bounds the unconnected sockets kept per family: about the peak number in flight.
  static constexpr size_t kMaxIdle = 1024;

  // Slot is a connect in flight: its socket, and the idle list it returns to (-1: none, it is bound).
  struct Slot {
    int fd;
    int idleList;
  };

  Napi::Value Connect(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);

  static void OnReadable(uv_poll_t* handle, int status, int events);
  void Harvest(int pollStatus);
  // Release ends connect `id` and unrefs the loop when nothing is in flight. Its id goes back
  // to the free list at once, or, with `reuseLater`, only after the batch's callback returned,
  // so a waiter that starts a connect from its callback can never take an id still to be
  // reported in the same batch.
  void Release(uint32_t id, bool reuseLater = false);
  // OpenSocket makes a non-blocking socket of `family` and adds it to the epoll set.
  int OpenSocket(Napi::Env env, int family);
  // CloseSocket removes `fd` from the epoll set and closes it with SO_LINGER {1, 0}.
  void CloseSocket(int fd);
  // Recycle resets `fd`'s connection and keeps it in idle list `list`, or closes it.
  void Recycle(int fd, int list);
  void CloseAll();

  int epollFd_ = -1;
  uv_poll_t* handle_ = nullptr;
  Napi::FunctionReference onSettled_;
  Napi::Reference<Napi::Int32Array> resultsRef_;
  int32_t* results_ = nullptr;
  size_t resultPairs_ = 0;
  Napi::AsyncContext context_;
  // slots_[id - 1] is connect `id`; its fd is -1 when that id is free.
  std::vector<Slot> slots_;
  // idOfFd_[fd] is the connect in flight on `fd`, 0 when none (idle, or not ours).
  std::vector<uint32_t> idOfFd_;
  // idle_[0] holds unconnected AF_INET sockets, idle_[1] AF_INET6 ones, all still in the epoll set.
  std::vector<int> idle_[2];
  std::vector<uint32_t> freeIds_;
  // harvested_ are the ids of the batch being reported, freed after its callback.
  std::vector<uint32_t> harvested_;
  uint32_t inFlight_ = 0;
  epoll_event events_[kEpollBatch];
};

}  // namespace tandem
