#include "interfaces.h"

#include <net/if.h>

#include <cerrno>

#include "errno-error.h"

namespace tandem {

Napi::Value IfNameToIndex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    throw Napi::TypeError::New(env, "ifNameToIndex: name must be a string");
  }
  std::string name = info[0].As<Napi::String>().Utf8Value();
  errno = 0;
  unsigned int index = if_nametoindex(name.c_str());
  if (index == 0) {
    throw ErrnoError(env, errno != 0 ? errno : ENODEV, "if_nametoindex");
  }
  return Napi::Number::New(env, index);
}

Napi::Value IfIndexToName(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    throw Napi::TypeError::New(env, "ifIndexToName: index must be a number");
  }
  unsigned int index = info[0].As<Napi::Number>().Uint32Value();
  char name[IF_NAMESIZE];
  if (if_indextoname(index, name) == nullptr) {
    throw ErrnoError(env, errno, "if_indextoname");
  }
  return Napi::String::New(env, name);
}

}  // namespace tandem
