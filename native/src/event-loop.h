// The libuv loop of a Node environment, for handles the addon registers on it (uv_poll).
#pragma once
#include <napi.h>
#include <uv.h>

namespace tandem {

// EventLoopOf returns env's libuv loop; it throws a JS Error naming `owner` when there is none.
uv_loop_t* EventLoopOf(Napi::Env env, const char* owner);

}  // namespace tandem
