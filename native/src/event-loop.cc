#include "event-loop.h"

#include <string>

namespace tandem {

uv_loop_t* EventLoopOf(Napi::Env env, const char* owner) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    throw Napi::Error::New(env, std::string(owner) + ": no libuv loop for this environment");
  }
  return loop;
}

}  // namespace tandem
