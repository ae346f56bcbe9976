// withNetworkNamespace: setns(2) around a callback.
//
// setns(CLONE_NEWNET) moves only the calling thread (setns(2)); libuv's pool threads stay
// where they are, which does not matter because a socket keeps the namespace it was created
// in. THREADING: runs on the JS thread by design: the namespace switch must cover the JS
// code that creates sockets, and open+setns take microseconds.
#include "netns.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "errno-error.h"

namespace tandem {

namespace {

// FdGuard closes a descriptor when it leaves scope.
struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

Napi::Value WithNetworkNamespace(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsFunction()) {
    throw Napi::TypeError::New(env, "withNetworkNamespace(path: string, fn: () => T)");
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  FdGuard original{open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)};
  if (original.fd < 0) throw ErrnoError(env, errno, "open");
  FdGuard target{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (target.fd < 0) throw ErrnoError(env, errno, "open");
  if (setns(target.fd, CLONE_NEWNET) != 0) throw ErrnoError(env, errno, "setns");
  Napi::Value result;
  try {
    result = info[1].As<Napi::Function>().Call({});
  } catch (...) {
    if (setns(original.fd, CLONE_NEWNET) != 0) Napi::Error::Fatal("withNetworkNamespace", "cannot return to the original network namespace");
    throw;
  }
  if (setns(original.fd, CLONE_NEWNET) != 0) Napi::Error::Fatal("withNetworkNamespace", "cannot return to the original network namespace");
  return result;
}

}  // namespace tandem
