// tandem's native addon: system calls only, no policy. Every export is typed in
// src/kernel/native.ts, which is the only module that loads this binary.
#include <napi.h>

#include "interfaces.h"
#include "netlink-socket.h"
#include "netns.h"
#include "packet-socket.h"
#include "tcp-prober.h"
#include "thread-scheduling.h"
#include "unix-datagram.h"

namespace tandem {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("ifNameToIndex", Napi::Function::New(env, IfNameToIndex, "ifNameToIndex"));
  exports.Set("ifIndexToName", Napi::Function::New(env, IfIndexToName, "ifIndexToName"));
  exports.Set("NetlinkSocket", NetlinkSocket::Define(env));
  exports.Set("PacketSocket", PacketSocket::Define(env));
  exports.Set("TcpProber", TcpProber::Define(env));
  exports.Set("setCurrentThreadScheduler", Napi::Function::New(env, SetCurrentThreadScheduler, "setCurrentThreadScheduler"));
  exports.Set("getCurrentThreadScheduler", Napi::Function::New(env, GetCurrentThreadScheduler, "getCurrentThreadScheduler"));
  exports.Set("sendUnixDatagram", Napi::Function::New(env, SendUnixDatagram, "sendUnixDatagram"));
  exports.Set("withNetworkNamespace", Napi::Function::New(env, WithNetworkNamespace, "withNetworkNamespace"));
  return exports;
}

}  // namespace tandem

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return tandem::Init(env, exports);
}

NODE_API_MODULE(tandem_native, InitModule)
