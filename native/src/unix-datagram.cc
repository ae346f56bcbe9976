// sendUnixDatagram: what sd_notify(3) does, minus libsystemd.
//
// THREADING CHOICE. Runs on the JS thread: one sendto of a few bytes to a local socket on a
// non-blocking fd. If the receiver's queue is full it fails with EAGAIN instead of waiting.
#include "unix-datagram.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include "errno-error.h"

namespace tandem {

Napi::Value SendUnixDatagram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsBuffer()) {
    throw Napi::TypeError::New(env, "sendUnixDatagram(path: string, data: Buffer)");
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  Napi::Buffer<uint8_t> data = info[1].As<Napi::Buffer<uint8_t>>();
  struct sockaddr_un to = {};
  to.sun_family = AF_UNIX;
  // Abstract names have no NUL terminator; filesystem paths need room for one.
  bool abstract = !path.empty() && path[0] == '@';
  if (path.empty() || path.size() + (abstract ? 0 : 1) > sizeof to.sun_path) {
    throw ErrnoError(env, path.empty() ? EINVAL : ENAMETOOLONG, "sendto");
  }
  std::memcpy(to.sun_path, path.data(), path.size());
  if (abstract) to.sun_path[0] = '\0';
  socklen_t length = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + path.size() + (abstract ? 0 : 1));

  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw ErrnoError(env, errno, "socket");
  ssize_t sent;
  do {
    sent = sendto(fd, data.Data(), data.Length(), MSG_NOSIGNAL, reinterpret_cast<struct sockaddr*>(&to), length);
  } while (sent < 0 && errno == EINTR);
  int err = errno;
  close(fd);
  if (sent < 0) throw ErrnoError(env, err, "sendto");
  return env.Undefined();
}

}  // namespace tandem
