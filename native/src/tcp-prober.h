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
//     already reset and closed) or a negative errno (libuv's convention). A failed socket,
//     bind, epoll_ctl or an unparsable address throws a Node-style errno error.
//   cancel(id: number): boolean
//     Drops a connect still in flight (no report follows); false when `id` is not in flight.
//   close(): void
//     Drops every connect in flight and closes the epoll instance; safe to call twice.
//
// Every socket ends with SO_LINGER {on, 0} before close(2), so an established connection is
// reset rather than closed: no TIME_WAIT is left behind (socket(7), tcp(7)).
class TcpProber : public Napi::ObjectWrap<TcpProber> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit TcpProber(const Napi::CallbackInfo& info);
  ~TcpProber() override;

 private:
  // kMaxPerEvent bounds the completions handed to JS per readable event, so one burst cannot
  // starve the loop; libuv polls level-triggered, so the rest fire on the next turn.
  static constexpr int kMaxPerEvent = 1024;
  static constexpr int kEpollBatch = 256;
  // kMaxInFlight bounds the id table (ids are reused, so it is the peak number in flight).
  static constexpr uint32_t kMaxInFlight = 1u << 20;

  Napi::Value Connect(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);

  static void OnReadable(uv_poll_t* handle, int status, int events);
  void Harvest(int pollStatus);
  // Release returns id's slot to the free list and unrefs the loop when nothing is in flight.
  void Release(uint32_t id);
  void CloseAll();

  int epollFd_ = -1;
  uv_poll_t* handle_ = nullptr;
  Napi::FunctionReference onSettled_;
  Napi::Reference<Napi::Int32Array> resultsRef_;
  int32_t* results_ = nullptr;
  size_t resultPairs_ = 0;
  Napi::AsyncContext context_;
  // fdOfId_[id - 1] is the socket of connect `id`, or -1 when that id is free.
  std::vector<int> fdOfId_;
  std::vector<uint32_t> freeIds_;
  uint32_t inFlight_ = 0;
  epoll_event events_[kEpollBatch];
};

}  // namespace tandem
