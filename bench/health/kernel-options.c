// kernel-options: what a loopback TCP check costs this process in the kernel, per socket option.
//
//   gcc -O2 -o /tmp/kernel-options bench/health/kernel-options.c && /tmp/kernel-options [CONNECTS=40000] [ROUNDS=3]
//
// A forked child takes connections with accept4(2) + close(2) (as accept-loop.py does); this
// process makes blocking connects to 127.0.0.2–127.0.15.255 (on loopback the whole handshake
// runs inside connect(2)) and ends each one as a variant says. CPU is getrusage(RUSAGE_SELF):
// user + system, so the child's own work is not counted, but the loopback softirq work of both
// ends is (it runs in the sender's context). Prints the median per variant over ROUNDS rounds,
// interleaved, and the 1-minute load average.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kReuse, kReuseNoDelay, kReuseQuickAck, kFreshLinger, kVariants };
static const char* const kNames[kVariants] = {
    "reused socket, connect(AF_UNSPEC)", "the same with TCP_NODELAY", "the same with TCP_QUICKACK before each connect",
    "fresh socket, SO_LINGER {1, 0} + close"};
// kAddresses: destinations rotate so no address pair runs out of ephemeral ports.
static const int kAddresses = 4064;

static double CpuSeconds(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

static int CompareDoubles(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

// Run makes `connects` checks the way `variant` says and returns the CPU µs per check, or -1.
static double Run(int variant, int connects, struct sockaddr_in server) {
  int on = 1, fd = -1;
  double before = CpuSeconds();
  for (int i = 0; i < connects; i++) {
    struct sockaddr_in target = server;
    target.sin_addr.s_addr = htonl(0x7f000002 + (uint32_t)(i % kAddresses));
    if (fd < 0) {
      fd = socket(AF_INET, SOCK_STREAM, 0);
      if (fd < 0) return -1;
      if (variant == kReuseNoDelay) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
    // TCP_QUICKACK is not sticky (tcp(7)): it must be set again before each use.
    if (variant == kReuseQuickAck) setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
    if (connect(fd, (struct sockaddr*)&target, sizeof target) != 0) return -1;
    if (variant == kFreshLinger) {
      struct linger reset = {1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
      close(fd);
      fd = -1;
    } else {
      struct sockaddr unspec = {.sa_family = AF_UNSPEC};
      connect(fd, &unspec, sizeof unspec);
    }
  }
  if (fd >= 0) close(fd);
  return (CpuSeconds() - before) / connects * 1e6;
}

int main(int argc, char** argv) {
  int connects = argc > 1 ? atoi(argv[1]) : 40000;
  int rounds = argc > 2 ? atoi(argv[2]) : 3;
  if (connects < 1 || rounds < 1 || rounds > 99) return 2;
  int listener = socket(AF_INET, SOCK_STREAM, 0), on = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  struct sockaddr_in server = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
  socklen_t length = sizeof server;
  if (bind(listener, (struct sockaddr*)&server, sizeof server) != 0 || listen(listener, 4096) != 0 ||
      getsockname(listener, (struct sockaddr*)&server, &length) != 0) {
    perror("listener");
    return 1;
  }
  pid_t child = fork();
  if (child == 0) {
    for (;;) {
      int connection = accept4(listener, NULL, NULL, 0);
      if (connection >= 0) close(connection);
    }
  }
  close(listener);
  double results[kVariants][99];
  for (int round = 0; round < rounds; round++) {
    for (int variant = 0; variant < kVariants; variant++) {
      results[variant][round] = Run(variant, connects, server);
      if (results[variant][round] < 0) {
        perror(kNames[variant]);
        kill(child, SIGKILL);
        return 1;
      }
    }
  }
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  double load[1] = {0};
  getloadavg(load, 1);
  printf("median of %d rounds of %d connects, 1-min load average %.2f after:\n", rounds, connects, load[0]);
  for (int variant = 0; variant < kVariants; variant++) {
    qsort(results[variant], (size_t)rounds, sizeof(double), CompareDoubles);
    printf("  %-50s %6.2f us CPU per check\n", kNames[variant], results[variant][rounds / 2]);
  }
  return 0;
}
