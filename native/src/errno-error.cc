#include "errno-error.h"

#include <cstring>
#include <string>

namespace tandem {

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall) {
  const char* code = strerrorname_np(err);
  std::string codeName = code != nullptr ? code : "E" + std::to_string(err);
  std::string message = std::string(syscall) + " " + codeName + " (" + std::strerror(err) + ")";
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, codeName));
  // Node reports errno as a negative number (libuv convention); keep that so callers can
  // compare with os.constants.errno after negation.
  error.Set("errno", Napi::Number::New(env, -err));
  error.Set("syscall", Napi::String::New(env, syscall));
  return error;
}

}  // namespace tandem
