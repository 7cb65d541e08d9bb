#include "config/read_file.h"

#include <array>
#include <cerrno>
#include <cstdio>
#include <memory>

namespace dnsp::config {

int read_text_file(const std::string& path, std::string& out) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) return errno;
  std::array<char, 4096> buffer{};
  while (true) {
    errno = 0;
    const size_t n = std::fread(buffer.data(), 1, buffer.size(), file.get());
    out.append(buffer.data(), n);
    if (out.size() > kMaxTextFileSize) return EFBIG;
    if (n < buffer.size()) break;
  }
  if (std::ferror(file.get()) != 0) return errno != 0 ? errno : EIO;
  return 0;
}

}  // namespace dnsp::config
