// DumpRing: many netlink dumps for a handful of system calls.
//
// WHY. In a user-mode-linux guest every system call costs tens of microseconds, and 1,000
// IPVS GET_DEST dumps (one per virtual service: the kernel has no "all destinations" dump)
// take three each: sendmsg, which builds the first page (netlink_dump_start runs the dump
// inside it), a recvmsg for that page, which builds the NLMSG_DONE (netlink_recvmsg calls
// netlink_dump again once the page is consumed, and the dump is over from then on), and a
// recvmsg for the DONE. The kernel runs one dump per socket at a time (EBUSY), so the dumps
// cannot be pipelined; but io_uring can run a chain of them with no return to user space:
// per dump an IORING_OP_SEND, then two IORING_OP_RECV, every SQE hard-linked to the next so
// that each starts only when the previous one completed, the whole window with one
// io_uring_enter.
//
// The recvs carry MSG_DONTWAIT: io_uring then completes them with -EAGAIN instead of arming
// a poll (REQ_F_NOWAIT), so a chain never waits for data that is not coming (the second recv
// of a dump whose DONE shared the first page), and IOSQE_IO_HARDLINK keeps the chain going
// past that -EAGAIN. Nothing here decides whether a dump came out whole: ExchangeWorker
// checks the framing and redoes a dump the ordinary way when it did not.
#include "netlink-uring.h"

#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace tandem {

namespace {

// Three SQEs per dump; a power of two at least that large (io_uring_setup rounds up anyway).
constexpr unsigned kEntries = 256;
static_assert(3 * DumpRing::kWindowDumps <= kEntries, "a window must fit the submission queue");

// The chains need EXT_ARG (a bounded wait, 5.11) and honour MSG_DONTWAIT on recv; asking for
// CQE_SKIP's kernel (5.17) is a conservative proxy for the latter.
constexpr unsigned kRequiredFeatures = IORING_FEAT_SINGLE_MMAP | IORING_FEAT_NODROP | IORING_FEAT_EXT_ARG |
                                       IORING_FEAT_CQE_SKIP;

enum Step : uint64_t { kSend = 0, kData = 1, kTail = 2 };

unsigned LoadAcquire(const unsigned* at) {
  return __atomic_load_n(at, __ATOMIC_ACQUIRE);
}
void StoreRelease(unsigned* at, unsigned value) { __atomic_store_n(at, value, __ATOMIC_RELEASE); }

int Enter(int ringFd, unsigned toSubmit, unsigned minComplete, int timeoutMs) {
  struct __kernel_timespec timeout = {timeoutMs / 1000, static_cast<long long>(timeoutMs % 1000) * 1000000};
  struct io_uring_getevents_arg arg = {};
  arg.ts = reinterpret_cast<uint64_t>(&timeout);
  long n = syscall(__NR_io_uring_enter, ringFd, toSubmit, minComplete, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
                   &arg, sizeof arg);
  return n < 0 ? -errno : static_cast<int>(n);
}

template <typename T>
T* At(void* base, unsigned offset) {
  return reinterpret_cast<T*>(static_cast<uint8_t*>(base) + offset);
}

}  // namespace

int DumpRing::Open(std::unique_ptr<DumpRing>* out) {
  std::unique_ptr<DumpRing> ring(new DumpRing());
  struct io_uring_params params = {};
  long fd = syscall(__NR_io_uring_setup, kEntries, &params);
  if (fd < 0) return errno;
  ring->ringFd_ = static_cast<int>(fd);
  if ((params.features & kRequiredFeatures) != kRequiredFeatures) return EOPNOTSUPP;

  ring->ringsBytes_ = std::max(params.sq_off.array + params.sq_entries * sizeof(unsigned),
                               params.cq_off.cqes + params.cq_entries * sizeof(struct io_uring_cqe));
  void* rings = mmap(nullptr, ring->ringsBytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring->ringFd_,
                     IORING_OFF_SQ_RING);
  if (rings == MAP_FAILED) return errno;
  ring->rings_ = rings;
  ring->sqesBytes_ = params.sq_entries * sizeof(struct io_uring_sqe);
  void* sqes = mmap(nullptr, ring->sqesBytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring->ringFd_,
                    IORING_OFF_SQES);
  if (sqes == MAP_FAILED) return errno;
  ring->sqes_ = sqes;

  ring->sqTail_ = At<unsigned>(rings, params.sq_off.tail);
  ring->sqMask_ = At<unsigned>(rings, params.sq_off.ring_mask);
  ring->sqArray_ = At<unsigned>(rings, params.sq_off.array);
  ring->cqHead_ = At<unsigned>(rings, params.cq_off.head);
  ring->cqTail_ = At<unsigned>(rings, params.cq_off.tail);
  ring->cqMask_ = At<unsigned>(rings, params.cq_off.ring_mask);
  ring->cqes_ = At<void>(rings, params.cq_off.cqes);
  // Allocated once and kept: in the guest, pages touched for the first time are what cost.
  ring->scratch_.reset(new uint8_t[kWindowDumps * (kDataBytes + kTailBytes)]);
  ring->chains_.resize(kWindowDumps);
  *out = std::move(ring);
  return 0;
}

DumpRing::~DumpRing() {
  if (sqes_ != nullptr) munmap(sqes_, sqesBytes_);
  if (rings_ != nullptr) munmap(rings_, ringsBytes_);
  if (ringFd_ >= 0) close(ringFd_);
}

int DumpRing::Run(int fd, const uint8_t* bytes, const size_t* starts, const size_t* ends, size_t count,
                  int timeoutMs) {
  if (Broken()) return EBADF;
  if (count == 0 || count > kWindowDumps) return EINVAL;
  unsigned sqTail = *sqTail_;  // only this thread writes the SQ tail
  unsigned total = static_cast<unsigned>(3 * count);
  auto* sqes = static_cast<struct io_uring_sqe*>(sqes_);
  for (unsigned k = 0; k < total; k++) {
    size_t dump = k / 3;
    uint64_t step = k % 3;
    unsigned index = (sqTail + k) & *sqMask_;
    struct io_uring_sqe* sqe = &sqes[index];
    std::memset(sqe, 0, sizeof *sqe);
    sqe->fd = fd;
    // The last SQE of the window ends the link; every other one holds the next back until it completes.
    sqe->flags = k + 1 < total ? IOSQE_IO_HARDLINK : 0;
    sqe->user_data = dump * 3 + step;
    if (step == kSend) {
      sqe->opcode = IORING_OP_SEND;
      sqe->addr = reinterpret_cast<uint64_t>(bytes + starts[dump]);
      sqe->len = static_cast<uint32_t>(ends[dump] - starts[dump]);
    } else {
      sqe->opcode = IORING_OP_RECV;
      sqe->addr = reinterpret_cast<uint64_t>(step == kData ? data(dump) : tail(dump));
      sqe->len = static_cast<uint32_t>(step == kData ? kDataBytes : kTailBytes);
      // MSG_TRUNC: the result is the datagram's full length, so a truncated one shows.
      sqe->msg_flags = MSG_DONTWAIT | MSG_TRUNC;
    }
    sqArray_[index] = index;
    chains_[dump] = Chain{};
  }
  StoreRelease(sqTail_, sqTail + total);

  unsigned submitted = 0;
  unsigned completed = 0;
  int err = 0;
  while (submitted < total || completed < submitted) {
    int n = Enter(ringFd_, total - submitted, total - completed, timeoutMs);
    if (n < 0 && n != -EINTR && n != -ETIME) {
      err = -n;
      break;
    }
    if (n > 0) submitted += static_cast<unsigned>(n);
    unsigned head = *cqHead_;
    unsigned end = LoadAcquire(cqTail_);
    if (n == -ETIME && head == end) {
      // Nothing completed for timeoutMs: a request still in flight may yet write into the
      // scratch pages, so the ring and its memory are abandoned rather than reused or freed.
      Abandon();
      return ETIMEDOUT;
    }
    auto* cqes = static_cast<struct io_uring_cqe*>(cqes_);
    for (; head != end; head++) {
      const struct io_uring_cqe& cqe = cqes[head & *cqMask_];
      size_t dump = cqe.user_data / 3;
      if (dump < count) {
        Chain& chain = chains_[dump];
        (cqe.user_data % 3 == kSend ? chain.sent : cqe.user_data % 3 == kData ? chain.data : chain.tail) = cqe.res;
      }
      completed++;
    }
    StoreRelease(cqHead_, head);
    // A prep failure stops submission at that SQE (io_uring_enter(2)); the rest stay queued.
    if (n == 0 && submitted < total && completed == submitted) {
      err = EIO;
      break;
    }
  }
  if (err != 0) Abandon();
  return err;
}

void DumpRing::Abandon() {
  // The kernel tears the ring down, cancelling what is left in it, only once its file is
  // released, and each mmap holds the file as the fd does: unmapping here, not in the
  // destructor, keeps a request still pending (a send or recv on the netlink socket) from
  // living on until the socket's next exchangeInRing, or for good once DumpRunner stops using
  // the ring, and reading replies meant for later exchanges. The scratch memory is
  // deliberately leaked, since a cancelled recv may not be done with it yet.
  scratch_.release();
  if (sqes_ != nullptr) munmap(sqes_, sqesBytes_);
  sqes_ = nullptr;
  if (rings_ != nullptr) munmap(rings_, ringsBytes_);
  rings_ = nullptr;
  if (ringFd_ >= 0) close(ringFd_);
  ringFd_ = -1;
}

}  // namespace tandem
