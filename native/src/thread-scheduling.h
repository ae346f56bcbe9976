// Scheduling policy of the calling thread (sched(7)).
#pragma once
#include <napi.h>

namespace tandem {

// setCurrentThreadScheduler(policy: number, priority: number): void. Calls
// sched_setscheduler(0, policy, {priority}) for the CALLING thread only: on Linux, pid 0 names
// the calling thread, not the whole process (sched_setscheduler(2), NOTES). `policy` is passed
// through unchanged, so SCHED_RESET_ON_FORK may be or-ed in. Throws an errno error (EPERM
// without CAP_SYS_NICE or RLIMIT_RTPRIO, EINVAL for a priority outside the policy's range).
Napi::Value SetCurrentThreadScheduler(const Napi::CallbackInfo& info);

// getCurrentThreadScheduler(): { policy: number, priority: number }. sched_getscheduler(0)
// and sched_getparam(0) for the calling thread; policy keeps SCHED_RESET_ON_FORK if set.
Napi::Value GetCurrentThreadScheduler(const Napi::CallbackInfo& info);

}  // namespace tandem
