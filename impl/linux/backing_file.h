// The one file every file mapping maps (text, private file, shared file),
// made by the oracle before pid 1 so that every process maps the same file:
// a memfd of Config::pages pages whose word w of page p is file_word(p, w),
// as the semantics (spec/types.h) starts it.
#pragma once

#include "spec/types.h"

namespace cow::linux_host {

// The file's descriptor (close-on-exec), or -1 with errno set.
int make_backing_file(const Config& config);

}  // namespace cow::linux_host
