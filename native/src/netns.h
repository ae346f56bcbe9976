// Running a synchronous JS function inside another network namespace.
#pragma once
#include <napi.h>

namespace tandem {

// withNetworkNamespace(path: string, fn: () => T): T. Moves the calling (JS) thread into the
// network namespace at `path` (e.g. /run/netns/NAME), calls fn, and moves back, even if fn
// throws. Sockets created inside fn stay in that namespace for their whole life.
Napi::Value WithNetworkNamespace(const Napi::CallbackInfo& info);

}  // namespace tandem
