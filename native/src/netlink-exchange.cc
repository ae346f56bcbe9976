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
#include "netlink-exchange.h"

#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "errno-error.h"

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

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    size_t start = 0;
    for (size_t end : chunkEnds_) {
      if (mode_ == ExchangeMode::InTurn) {
        if (!ReadLastSeq(data_ + start, end - start, &untilSeq_)) {
          Fail(EINVAL, "sendmsg");
          return;
        }
        done_ = false;
      }
      if (!SendChunk(start, end)) return;
      start = end;
      // The kernel queued every reply to this chunk before sendmsg returned; reading them now
      // keeps the receive queue short so a large batch cannot overflow it.
      if (!ReceiveAvailable()) return;
      if (mode_ == ExchangeMode::InTurn && (!AwaitTerminal() || malformed_)) return;
    }
    if (mode_ == ExchangeMode::Together) AwaitTerminal();
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
    Napi::Array result = Napi::Array::New(env, datagramEnds_.size());
    size_t start = 0;
    for (size_t i = 0; i < datagramEnds_.size(); i++) {
      result.Set(i, Napi::Buffer<uint8_t>::Copy(env, Bytes() + start, datagramEnds_[i] - start));
      start = Align4(datagramEnds_[i]);
    }
    deferred_.Resolve(result);
  }

 private:
  // TakeBytes returns bytes [0, length_) as a Buffer: a view of the caller's buffer, or of the
  // larger one the worker moved to, whose ownership passes to JS (its spare room included, so
  // the caller can reuse it next time).
  Napi::Value TakeBytes(Napi::Env env) {
    Napi::Object whole;
    if (grown_.empty()) {
      whole = intoRef_.IsEmpty() ? Napi::Buffer<uint8_t>::New(env, 0) : intoRef_.Value();
    } else {
      auto* owned = new std::vector<uint8_t>(std::move(grown_));
      whole = Napi::Buffer<uint8_t>::New(
          env, owned->data(), owned->size(),
          [](Napi::Env /*env*/, uint8_t* /*data*/, std::vector<uint8_t>* bytes) { delete bytes; }, owned);
    }
    Napi::Function subarray = whole.Get("subarray").As<Napi::Function>();
    return subarray.Call(whole, {Napi::Number::New(env, 0), Napi::Number::New(env, static_cast<double>(length_))});
  }

  const uint8_t* Bytes() const { return grown_.empty() ? into_ : grown_.data(); }

  // Room returns where the next datagram goes, with kReceiveBufferBytes free: in the caller's
  // buffer while it has room, then in a buffer of the worker's own that doubles as it fills.
  uint8_t* Room() {
    if (grown_.empty() && intoBytes_ - length_ >= kReceiveBufferBytes) return into_ + length_;
    if (grown_.empty()) {
      grown_.resize(std::max(2 * intoBytes_, length_ + kReceiveBufferBytes));
      if (length_ > 0) std::memcpy(grown_.data(), into_, length_);
    } else if (grown_.size() - length_ < kReceiveBufferBytes) {
      grown_.resize(std::max(2 * grown_.size(), length_ + kReceiveBufferBytes));
    }
    return grown_.data() + length_;
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
  int err_ = 0;
  const char* syscall_ = "";
  // Every datagram read, each padded to 4 bytes, is in [0, length_) of the caller's buffer
  // (into_), or of grown_ once that is not empty; datagramEnds_ says where each one ends.
  Napi::ObjectReference intoRef_;
  uint8_t* into_ = nullptr;
  size_t intoBytes_ = 0;
  std::vector<uint8_t> grown_;
  size_t length_ = 0;
  std::vector<size_t> datagramEnds_;
};

}  // namespace

Napi::Promise StartExchange(Napi::Env env, NetlinkSocket* socket, Napi::Buffer<uint8_t> data,
                            std::vector<size_t> chunkEnds, ExchangeMode mode, uint32_t untilSeq, int timeoutMs,
                            Napi::Value into) {
  auto* worker = new ExchangeWorker(env, socket, data, std::move(chunkEnds), mode, untilSeq, timeoutMs, into);
  Napi::Promise promise = worker->Promise();
  worker->Queue();  // the worker deletes itself after OnOK
  return promise;
}

}  // namespace tandem
