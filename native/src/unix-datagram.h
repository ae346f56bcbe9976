// One unix datagram send, for sd_notify(3).
#pragma once
#include <napi.h>

namespace tandem {

// sendUnixDatagram(path: string, data: Buffer): void. A path starting with '@' names a socket
// in the abstract namespace (unix(7)), as systemd's NOTIFY_SOCKET may.
Napi::Value SendUnixDatagram(const Napi::CallbackInfo& info);

}  // namespace tandem
