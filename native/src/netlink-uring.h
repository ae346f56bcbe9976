// DumpRing: an io_uring that runs a window of netlink dumps, each as a linked
// send → recv → recv chain, with one io_uring_enter (see netlink-uring.cc for why).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace tandem {

class DumpRing {
 public:
  // kWindowDumps dumps go into one io_uring_enter: 3 SQEs each. 64 keeps the scratch memory
  // at 4 MiB (mostly never touched) while cutting 1,000 dumps' 3,000 system calls to 16.
  static constexpr size_t kWindowDumps = 64;
  // kDataBytes is the first recv's room: a dump page is at most 32 KiB (netlink_recvmsg caps
  // max_recvmsg_len there, and netlink_dump sizes its skbs by it).
  static constexpr size_t kDataBytes = 32768;
  // kTailBytes is the second recv's room: mostly an NLMSG_DONE (20 bytes) or an NLMSG_ERROR
  // with its extended ack, but room for a second page costs nothing (recv touches only the
  // pages it writes, and the scratch memory is never zeroed).
  static constexpr size_t kTailBytes = 32768;

  // Open creates the ring. Returns 0, or the errno of io_uring_setup/mmap (ENOSYS without
  // CONFIG_IO_URING, EPERM under seccomp or kernel.io_uring_disabled), or EOPNOTSUPP when
  // the kernel predates what the chains rely on.
  static int Open(std::unique_ptr<DumpRing>* ring);
  ~DumpRing();
  DumpRing(const DumpRing&) = delete;
  DumpRing& operator=(const DumpRing&) = delete;

  // Step is the outcome of one SQE: a byte count or -errno; kNotRun if it never completed.
  static constexpr int32_t kNotRun = INT32_MIN;
  struct Chain {
    int32_t sent = kNotRun;
    int32_t data = kNotRun;
    int32_t tail = kNotRun;
  };

  // Run sends each datagram [starts[i], ends[i]) of `bytes` on `fd` as one chain, all chains
  // hard-linked in order so that each dump starts only after the previous one's two reads,
  // and waits for every completion. Returns 0, or an errno (ETIMEDOUT when completions stop
  // for `timeoutMs`: the ring is then unusable and Broken() says so). count <= kWindowDumps.
  int Run(int fd, const uint8_t* bytes, const size_t* starts, const size_t* ends, size_t count, int timeoutMs);

  const Chain& chain(size_t i) const { return chains_[i]; }
  const uint8_t* data(size_t i) const { return scratch_.get() + i * (kDataBytes + kTailBytes); }
  const uint8_t* tail(size_t i) const { return data(i) + kDataBytes; }
  bool Broken() const { return ringFd_ < 0; }

 private:
  DumpRing() = default;
  void Abandon();

  int ringFd_ = -1;
  void* rings_ = nullptr;
  size_t ringsBytes_ = 0;  // SQ and CQ rings in one mmap (IORING_FEAT_SINGLE_MMAP, required)
  void* sqes_ = nullptr;
  size_t sqesBytes_ = 0;
  // Pointers into the mmapped rings (io_uring_setup(2) describes the offsets).
  unsigned* sqTail_ = nullptr;
  unsigned* sqMask_ = nullptr;
  unsigned* sqArray_ = nullptr;
  unsigned* cqHead_ = nullptr;
  unsigned* cqTail_ = nullptr;
  unsigned* cqMask_ = nullptr;
  void* cqes_ = nullptr;
  std::unique_ptr<uint8_t[]> scratch_;
  std::vector<Chain> chains_;
};

}  // namespace tandem
