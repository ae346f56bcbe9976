// Node-style system errors (code, errno, syscall) raised from the addon.
#pragma once
#include <napi.h>

namespace tandem {

// ErrnoError builds an Error shaped like Node's own system errors:
// message "syscall CODE (strerror)", properties code ("ENOENT"), errno (negative, as libuv does)
// and syscall.
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall);

}  // namespace tandem
