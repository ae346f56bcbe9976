// Interface lookups: name <-> index.
#pragma once
#include <napi.h>

namespace tandem {

// ifNameToIndex(name: string): number. Throws an errno error (ENODEV) for an unknown name.
Napi::Value IfNameToIndex(const Napi::CallbackInfo& info);

// ifIndexToName(index: number): string. Throws an errno error (ENXIO) for an unknown index.
Napi::Value IfIndexToName(const Napi::CallbackInfo& info);

}  // namespace tandem
