// ExchangeWorker: one netlink request/reply exchange on a libuv pool thread (why a pool
// thread: see netlink-socket.cc).
//
// exchangeInTurn() exists for many dumps. The kernel runs one dump per socket at a time
// (netlink_dump_start refuses a second with EBUSY until the first has sent NLMSG_DONE), so
// dumps cannot share a datagram; and the DONE of a small dump is only built by the recvmsg
// after its data. In a user-mode-linux guest one exchange costs ~1.2 ms, most of it the thread
// hop and the promise, while the three system calls of a 20-entry dump (sendmsg, recvmsg for
// the data, recvmsg for the DONE it builds) cost 0.1-0.3 ms. So this
// worker sends each datagram only once the previous one's terminal reply has arrived, all on
// one pool thread, and hands back every reply in a single buffer.
//
// WHY A CALLER'S BUFFER. exchangeInTurn reads straight into a buffer the caller passes in and
// reuses. In the guest, memory touched for the first time is what costs: with 1,000 dumps of
// 20 real servers (8 MB of replies), reading into fresh memory took up to 3 times as long as
// the dumps themselves, and copying the 8 MB into a new JS Buffer took another 190-250 ms,
// while reading into pages already touched added nothing. Only when the replies outgrow that buffer
// does the worker move on to a larger one of its own, which it hands over to JS.
//
// exchangeInRing is exchangeInTurn with the system calls batched through an io_uring
// (DumpRing, netlink-uring.cc): the same bytes come back, the ring only changes how many
// times the thread enters the kernel.
#include "netlink-exchange.h"

#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "errno-error.h"
#include "netlink-uring.h"

namespace tandem {

namespace {

// Dumps arrive in skbs of at most 32 KiB (netlink_recvmsg caps max_recvmsg_len there), and
// unicast replies are smaller; 64 KiB leaves room. A larger datagram is reported as EMSGSIZE,
// never silently truncated.
constexpr size_t kReceiveBufferBytes = 65536;

constexpr size_t Align4(size_t n) { return (n + 3) & ~static_cast<size_t>(3); }


// ReadLastSeq returns the sequence number of the last message framed in bytes[0, length),
// or false when the bytes do not frame as netlink messages.
bool ReadLastSeq(const uint8_t* bytes, size_t length, uint32_t* seq) {
  size_t at = 0;
  bool found = false;
  while (at < length) {
    struct nlmsghdr header;
    if (length - at < sizeof header) return false;
    std::memcpy(&header, bytes + at, sizeof header);
    if (header.nlmsg_len < sizeof header || header.nlmsg_len > length - at) return false;
    *seq = header.nlmsg_seq;
    found = true;
    at += Align4(header.nlmsg_len);
  }
  return found;
}

// ExchangeWorker sends the caller's bytes in chunks and reads the replies. Reading a reply
// header is framing, not policy: everything else is decoded in TypeScript.
//  - Together (exchange): every chunk is sent at once, the replies queued so far are read after
//    each, then it reads until the terminal message for `untilSeq` (NLMSG_ERROR or NLMSG_DONE
//    carrying that sequence number). Resolves with one Buffer per datagram.
//  - InTurn (exchangeInTurn): each chunk waits for the terminal message of the previous one
//    (the chunk's last sequence number), and stops at bytes that do not frame. Every datagram
//    goes into the caller's buffer `into` (see Room), each padded to 4 bytes so the messages
//    still frame end to end; resolves with one Buffer of them all (see TakeBytes).
//  - InRing (exchangeInRing): as InTurn, a window of chunks at a time through the socket's
//    DumpRing; resolves with the same Buffer and how many dumps needed no redo in turn.
class ExchangeWorker : public Napi::AsyncWorker {
 public:
  ExchangeWorker(Napi::Env env, NetlinkSocket* socket, Napi::Buffer<uint8_t> data,
                 std::vector<size_t> chunkEnds, ExchangeMode mode, uint32_t untilSeq, int timeoutMs,
                 Napi::Value into)
      : Napi::AsyncWorker(env, "tandem:netlink-exchange"),
        deferred_(Napi::Promise::Deferred::New(env)),
        socket_(socket),
        fd_(socket->fd()),
        data_(data.Data()),
        chunkEnds_(std::move(chunkEnds)),
        mode_(mode),
        untilSeq_(untilSeq),
        timeoutMs_(timeoutMs) {
    // Keep the socket object and the buffers alive while the pool thread uses them.
    socketRef_ = Napi::Persistent(socket->Value());
    dataRef_ = Napi::Persistent(data.As<Napi::Object>());
    if (into.IsBuffer()) {
      Napi::Buffer<uint8_t> buffer = into.As<Napi::Buffer<uint8_t>>();
      into_ = buffer.Data();
      intoBytes_ = buffer.Length();
      intoRef_ = Napi::Persistent(into.As<Napi::Object>());
    }
  }

  ~ExchangeWorker() override { std::free(grown_); }

  Napi::Promise Promise() const { return deferred_.Promise(); }

  // BeginHere runs a Together exchange's sends, and reads the replies already queued, on the
  // calling thread (see StartExchange). True when that finished the exchange, its terminal
  // reply read or an error met: OnOK may then settle it at once. False leaves the rest, the
  // wait for the terminal reply, to Execute on the pool.
  bool BeginHere() {
    begunHere_ = true;
    SendTogether();
    return err_ != 0 || done_;
  }

  void Execute() override {
    switch (mode_) {
      case ExchangeMode::InRing:
        ExecuteInRing();
        return;
      case ExchangeMode::InTurn: {
        size_t start = 0;
        for (size_t end : chunkEnds_) {
          if (!TakeTurn(start, end)) return;
          start = end;
        }
        return;
      }
      case ExchangeMode::Together:
        if (begunHere_ || SendTogether()) AwaitTerminal();
        return;
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    socket_->ExchangeFinished();
    if (err_ != 0) {
      deferred_.Reject(ErrnoError(env, err_, syscall_).Value());
      return;
    }
    if (mode_ == ExchangeMode::InTurn) {
      deferred_.Resolve(TakeBytes(env));
      return;
    }
    if (mode_ == ExchangeMode::InRing) {
      Napi::Object result = Napi::Object::New(env);
      result.Set("bytes", TakeBytes(env));
      result.Set("ringDumps", Napi::Number::New(env, static_cast<double>(ringDumps_)));
      deferred_.Resolve(result);
      return;
    }
    Napi::Array result = Napi::Array::New(env, datagramEnds_.size());
    size_t start = 0;
    for (size_t i = 0; i < datagramEnds_.size(); i++) {
      result.Set(i, Napi::Buffer<uint8_t>::Copy(env, Bytes() + start, datagramEnds_[i] - start));
      start = Align4(datagramEnds_[i]);
    }
    deferred_.Resolve(result);
  }

 private:
  // SendTogether sends every chunk, reading the replies queued after each. False means it failed.
  bool SendTogether() {
    size_t start = 0;
    for (size_t end : chunkEnds_) {
      if (!SendChunk(start, end)) return false;
      start = end;
      // The kernel queued every reply to this chunk before sendmsg returned; reading them now
      // keeps the receive queue short so a large batch cannot overflow it.
      if (!ReceiveAvailable()) return false;
    }
    return true;
  }

  // TakeTurn sends one chunk once the previous one is over and reads until the terminal
  // message of the chunk's last sequence number. False means it failed or the bytes did not frame.
  bool TakeTurn(size_t start, size_t end) {
    if (!ReadLastSeq(data_ + start, end - start, &untilSeq_)) {
      Fail(EINVAL, "sendmsg");
      return false;
    }
    done_ = false;
    if (!SendChunk(start, end) || !ReceiveAvailable()) return false;
    return AwaitTerminal() && !malformed_;
  }

  // ExecuteInRing runs the chunks (one dump request each) through the socket's DumpRing, a
  // window at a time. A dump whose replies came back in the chain's shape (see InShape) is
  // kept; from the first one that did not, the rest of the window is read off the socket
  // (Drain) and redone in turn, so the result is what exchangeInTurn would have read.
  void ExecuteInRing() {
    DumpRing* ring = nullptr;
    int err = socket_->Ring(&ring);
    if (err != 0) {
      Fail(err, "io_uring_setup");
      return;
    }
    std::vector<size_t> starts(chunkEnds_.size());
    std::vector<uint32_t> seqs(chunkEnds_.size());
    for (size_t i = 0; i < chunkEnds_.size(); i++) {
      starts[i] = i == 0 ? 0 : chunkEnds_[i - 1];
      if (!ReadLastSeq(data_ + starts[i], chunkEnds_[i] - starts[i], &seqs[i])) {
        Fail(EINVAL, "sendmsg");
        return;
      }
    }
    for (size_t first = 0; first < chunkEnds_.size(); first += DumpRing::kWindowDumps) {
      size_t count = std::min(DumpRing::kWindowDumps, chunkEnds_.size() - first);
      err = ring->Run(fd_, data_, &starts[first], &chunkEnds_[first], count, timeoutMs_);
      if (err != 0) {
        Fail(err, "io_uring_enter");
        return;
      }
      size_t k = 0;
      for (; k < count; k++) {
        Shape shape = ShapeOf(*ring, k, seqs[first + k], chunkEnds_[first + k] - starts[first + k]);
        if (shape == Shape::Other || (shape == Shape::Unfinished && k + 1 < count)) break;
        if (!KeepChain(*ring, k)) return;
        if (shape == Shape::Unfinished) {
          // The window's last dump is longer than its two reads: nothing was sent after it,
          // so the rest of it is simply read on, as in turn.
          untilSeq_ = seqs[first + k];
          done_ = false;
          if (!AwaitTerminal() || malformed_) return;
        }
        ringDumps_++;
      }
      if (k == count) continue;
      if (!Drain(*ring, k, count, &seqs[first])) return;
      for (size_t i = first + k; i < first + count; i++) {
        if (!TakeTurn(starts[i], chunkEnds_[i])) return;
      }
    }
  }

  // Shape is what chain k read: its dump Whole (the request sent, then one page of `seq`'s
  // messages, then either nothing, -EAGAIN, after a terminal message or a second page that
  // ends with one); the first two pages of a longer dump (Unfinished); or Other (a page
  // beyond the buffers, a refusal to send, another sequence number left over from an
  // earlier exchange), which is redone.
  enum class Shape { Whole, Unfinished, Other };
  static Shape ShapeOf(const DumpRing& ring, size_t k, uint32_t seq, size_t requestBytes) {
    const DumpRing::Chain& chain = ring.chain(k);
    if (chain.sent != static_cast<int32_t>(requestBytes) || !Fits(chain.data, DumpRing::kDataBytes)) return Shape::Other;
    bool ended = false;
    if (!OnlySeq(ring.data(k), static_cast<size_t>(chain.data), seq, &ended)) return Shape::Other;
    if (ended) return chain.tail == -EAGAIN ? Shape::Whole : Shape::Other;
    if (!Fits(chain.tail, DumpRing::kTailBytes) || !OnlySeq(ring.tail(k), static_cast<size_t>(chain.tail), seq, &ended)) {
      return Shape::Other;
    }
    return ended ? Shape::Whole : Shape::Unfinished;
  }

  // Fits says whether a recv's result is a datagram that framing could hold and the buffer did.
  static bool Fits(int32_t result, size_t room) {
    return result >= static_cast<int32_t>(NLMSG_HDRLEN) && static_cast<size_t>(result) <= room;
  }

  // KeepChain appends what chain k read to the result. False means memory ran out.
  bool KeepChain(const DumpRing& ring, size_t k) {
    if (!Keep(ring.data(k), static_cast<size_t>(ring.chain(k).data))) return false;
    return ring.chain(k).tail <= 0 || Keep(ring.tail(k), static_cast<size_t>(ring.chain(k).tail));
  }

  // OnlySeq says whether bytes[0, length) frame as messages of `seq` alone, a terminal one
  // (NLMSG_DONE or NLMSG_ERROR) only last; `ended` says whether that last one is terminal.
  static bool OnlySeq(const uint8_t* bytes, size_t length, uint32_t seq, bool* ended) {
    *ended = false;
    for (size_t at = 0; at < length;) {
      struct nlmsghdr header;
      if (*ended || length - at < sizeof header) return false;
      std::memcpy(&header, bytes + at, sizeof header);
      if (header.nlmsg_len < sizeof header || header.nlmsg_len > length - at || header.nlmsg_seq != seq) return false;
      *ended = header.nlmsg_type == NLMSG_DONE || header.nlmsg_type == NLMSG_ERROR;
      at += Align4(header.nlmsg_len);
    }
    return true;
  }

  // Keep appends one datagram read by the ring to the result, as ReceiveAvailable would.
  // False means memory ran out.
  bool Keep(const uint8_t* bytes, size_t length) {
    uint8_t* at = Room();
    if (at == nullptr) return false;
    std::memcpy(at, bytes, length);
    std::memset(at + length, 0, Align4(length) - length);
    length_ += Align4(length);
    return true;
  }

  // Drain reads and drops what the chains from k on left behind, until each dump among them
  // that the kernel took has ended (NLMSG_DONE or NLMSG_ERROR for its sequence number): only
  // then is no dump of theirs still running, so each can be redone in turn.
  bool Drain(const DumpRing& ring, size_t k, size_t count, const uint32_t* seqs) {
    std::vector<bool> open(count, false);
    size_t pending = 0;
    for (size_t i = k; i < count; i++) {
      open[i] = ring.chain(i).sent > 0;
      if (open[i]) pending++;
    }
    auto scan = [&](const uint8_t* bytes, int32_t result, size_t room) {
      if (result <= 0) return;
      size_t length = std::min(static_cast<size_t>(result), room);
      for (size_t at = 0; at + sizeof(struct nlmsghdr) <= length;) {
        struct nlmsghdr header;
        std::memcpy(&header, bytes + at, sizeof header);
        if (header.nlmsg_len < sizeof header || header.nlmsg_len > length - at) return;
        if (header.nlmsg_type == NLMSG_DONE || header.nlmsg_type == NLMSG_ERROR) {
          for (size_t i = k; i < count; i++) {
            if (open[i] && seqs[i] == header.nlmsg_seq) {
              open[i] = false;
              pending--;
            }
          }
        }
        at += Align4(header.nlmsg_len);
      }
    };
    for (size_t i = k; i < count; i++) {
      scan(ring.data(i), ring.chain(i).data, DumpRing::kDataBytes);
      scan(ring.tail(i), ring.chain(i).tail, DumpRing::kTailBytes);
    }
    while (pending > 0) {
      struct pollfd pfd = {fd_, POLLIN, 0};
      int ready = poll(&pfd, 1, timeoutMs_);
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) {
        Fail(ready == 0 ? ETIMEDOUT : errno, "poll");
        return false;
      }
      // Room() is only borrowed: length_ does not move, so what is read here is dropped.
      uint8_t* at = Room();
      if (at == nullptr) return false;
      ssize_t n = recv(fd_, at, kReceiveBufferBytes, MSG_DONTWAIT | MSG_TRUNC);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n < 0) {
        Fail(errno, "recvmsg");
        return false;
      }
      scan(at, static_cast<int32_t>(std::min(static_cast<size_t>(n), kReceiveBufferBytes)), kReceiveBufferBytes);
    }
    return true;
  }

  // TakeBytes returns bytes [0, length_) as a Buffer: a view of the caller's buffer, or of the
  // larger one the worker moved to, whose ownership passes to JS (its spare room included, so
  // the caller can reuse it next time).
  Napi::Value TakeBytes(Napi::Env env) {
    Napi::Object whole;
    if (grown_ == nullptr) {
      whole = intoRef_.IsEmpty() ? Napi::Buffer<uint8_t>::New(env, 0) : intoRef_.Value();
    } else {
      whole = Napi::Buffer<uint8_t>::New(env, grown_, grownBytes_, [](Napi::Env /*env*/, uint8_t* bytes) { std::free(bytes); });
      grown_ = nullptr;
    }
    Napi::Function subarray = whole.Get("subarray").As<Napi::Function>();
    return subarray.Call(whole, {Napi::Number::New(env, 0), Napi::Number::New(env, static_cast<double>(length_))});
  }

  const uint8_t* Bytes() const { return grown_ == nullptr ? into_ : grown_; }

  // Room returns where the next datagram goes, with kReceiveBufferBytes free: in the caller's
  // buffer while it has room, then in a buffer of the worker's own that doubles as it fills;
  // nullptr (and the exchange fails with ENOMEM) when memory runs out. malloc and realloc,
  // not a vector: a vector zeroes what it grows by, and glibc's realloc of a large block
  // moves its pages (mremap) without copying them. In the guest, touching fresh pages is
  // what costs: growing a vector to hold 8 MB of replies touched 32 MB.
  uint8_t* Room() {
    if (grown_ == nullptr && intoBytes_ - length_ >= kReceiveBufferBytes) return into_ + length_;
    if (grown_ == nullptr || grownBytes_ - length_ < kReceiveBufferBytes) {
      size_t bytes = std::max(2 * (grown_ == nullptr ? intoBytes_ : grownBytes_), length_ + kReceiveBufferBytes);
      auto* moved = static_cast<uint8_t*>(std::realloc(grown_, bytes));
      if (moved == nullptr) {
        Fail(ENOMEM, "recvmsg");
        return nullptr;
      }
      if (grown_ == nullptr && length_ > 0) std::memcpy(moved, into_, length_);
      grown_ = moved;
      grownBytes_ = bytes;
    }
    return grown_ + length_;
  }

  bool SendChunk(size_t start, size_t end) {
    while (start < end) {
      ssize_t sent = send(fd_, data_ + start, end - start, 0);
      if (sent < 0) {
        if (errno == EINTR) continue;
        Fail(errno, "sendmsg");
        return false;
      }
      // A netlink datagram is taken whole or refused; a short count would mean a kernel bug.
      if (static_cast<size_t>(sent) != end - start) {
        Fail(EMSGSIZE, "sendmsg");
        return false;
      }
      start = end;
    }
    return true;
  }

  // AwaitTerminal polls and reads until the terminal message arrives. False means it failed.
  bool AwaitTerminal() {
    while (!done_) {
      struct pollfd pfd = {fd_, POLLIN, 0};
      int ready = poll(&pfd, 1, timeoutMs_);
      if (ready < 0) {
        if (errno == EINTR) continue;
        Fail(errno, "poll");
        return false;
      }
      if (ready == 0) {
        Fail(ETIMEDOUT, "poll");
        return false;
      }
      if (!ReceiveAvailable()) return false;
    }
    return true;
  }

  // ReceiveAvailable reads every queued datagram without waiting. False means it failed.
  bool ReceiveAvailable() {
    while (!done_) {
      uint8_t* at = Room();
      if (at == nullptr) return false;
      ssize_t n = recv(fd_, at, kReceiveBufferBytes, MSG_DONTWAIT | MSG_TRUNC);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return true;
        Fail(errno, "recvmsg");
        return false;
      }
      size_t length = static_cast<size_t>(n);
      if (length > kReceiveBufferBytes) {
        Fail(EMSGSIZE, "recvmsg");
        return false;
      }
      // Padding stays within the datagram's 64 KiB slot, since that size is a multiple of 4.
      std::memset(at + length, 0, Align4(length) - length);
      datagramEnds_.push_back(length_ + length);
      length_ += Align4(length);
      ScanForTerminal(at, length);
    }
    return true;
  }

  // ScanForTerminal marks the wait done at the terminal message, or at bytes that do not frame
  // as netlink: TypeScript then reports those as malformed instead of waiting for more.
  void ScanForTerminal(const uint8_t* bytes, size_t length) {
    size_t at = 0;
    while (at < length) {
      struct nlmsghdr header;
      if (length - at < sizeof header) {
        done_ = malformed_ = true;
        return;
      }
      std::memcpy(&header, bytes + at, sizeof header);
      if (header.nlmsg_len < sizeof header || header.nlmsg_len > length - at) {
        done_ = malformed_ = true;
        return;
      }
      if (header.nlmsg_seq == untilSeq_ &&
          (header.nlmsg_type == NLMSG_ERROR || header.nlmsg_type == NLMSG_DONE)) {
        done_ = true;
      }
      at += Align4(header.nlmsg_len);
    }
  }

  void Fail(int err, const char* syscall) {
    err_ = err;
    syscall_ = syscall;
  }

  Napi::Promise::Deferred deferred_;
  NetlinkSocket* socket_;
  Napi::ObjectReference socketRef_;
  Napi::ObjectReference dataRef_;
  int fd_;
  const uint8_t* data_;
  std::vector<size_t> chunkEnds_;
  ExchangeMode mode_;
  uint32_t untilSeq_;
  int timeoutMs_;
  bool done_ = false;
  bool malformed_ = false;
  bool begunHere_ = false;
  int err_ = 0;
  const char* syscall_ = "";
  // Every datagram read, each padded to 4 bytes, is in [0, length_) of the caller's buffer
  // (into_), or of grown_ once that is not empty; datagramEnds_ says where each one ends.
  Napi::ObjectReference intoRef_;
  uint8_t* into_ = nullptr;
  size_t intoBytes_ = 0;
  uint8_t* grown_ = nullptr;  // malloc'd; freed here unless TakeBytes handed it to JS
  size_t grownBytes_ = 0;
  size_t length_ = 0;
  std::vector<size_t> datagramEnds_;
  // ringDumps_ counts the dumps (InRing) read through the ring, without a redo.
  size_t ringDumps_ = 0;
};

}  // namespace

Napi::Promise StartExchange(Napi::Env env, NetlinkSocket* socket, Napi::Buffer<uint8_t> data,
                            std::vector<size_t> chunkEnds, ExchangeMode mode, uint32_t untilSeq, int timeoutMs,
                            Napi::Value into, bool beginHere) {
  auto* worker = new ExchangeWorker(env, socket, data, std::move(chunkEnds), mode, untilSeq, timeoutMs, into);
  Napi::Promise promise = worker->Promise();
  if (beginHere && worker->BeginHere()) {
    // Never queued, so nothing else holds it; owned here so that it is freed (its references
    // to the socket and the buffer released) even if OnOK throws, e.g. when memory runs out.
    std::unique_ptr<ExchangeWorker> owned(worker);
    owned->OnOK();
  } else {
    worker->Queue();  // the worker deletes itself after OnOK
  }
  return promise;
}

}  // namespace tandem
