// config/read_file.h: reading a small text file whole, for the config file and resolv.conf.
// Internal to config/: not part of the library's interface.
#pragma once

#include <string>

namespace dnsp::config {

// Files larger than this are refused (EFBIG): a configuration file or resolv.conf is a few
// hundred bytes, and a wrong path (a log file, /dev/zero) must not eat memory.
inline constexpr size_t kMaxTextFileSize = 1 << 20;

// Appends the file's contents to `out`. Returns 0, or the errno value that stopped it
// (ENOENT, EACCES, EISDIR, EFBIG, ...).
int read_text_file(const std::string& path, std::string& out);

}  // namespace dnsp::config
