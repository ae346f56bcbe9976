// Thread scheduling: sched_setscheduler(2) / sched_getscheduler(2) on the calling thread.
//
// THREADING: runs on whichever JS thread calls it (the election worker thread by design); the
// calls take microseconds and must act on that very thread, so nothing is moved to the pool.
#include "thread-scheduling.h"

#include <sched.h>

#include <cerrno>

#include "errno-error.h"

namespace tandem {

Napi::Value SetCurrentThreadScheduler(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    throw Napi::TypeError::New(env, "setCurrentThreadScheduler(policy: number, priority: number)");
  }
  int policy = info[0].As<Napi::Number>().Int32Value();
  sched_param param{};
  param.sched_priority = info[1].As<Napi::Number>().Int32Value();
  if (sched_setscheduler(0, policy, &param) != 0) throw ErrnoError(env, errno, "sched_setscheduler");
  return env.Undefined();
}

Napi::Value GetCurrentThreadScheduler(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int policy = sched_getscheduler(0);
  if (policy < 0) throw ErrnoError(env, errno, "sched_getscheduler");
  sched_param param{};
  if (sched_getparam(0, &param) != 0) throw ErrnoError(env, errno, "sched_getparam");
  Napi::Object result = Napi::Object::New(env);
  result.Set("policy", Napi::Number::New(env, policy));
  result.Set("priority", Napi::Number::New(env, param.sched_priority));
  return result;
}

}  // namespace tandem
