// tests/config/temp_dir.h: a mkdtemp directory for the files a test reads, removed with
// everything in it when the TempDir goes away.
#pragma once

#include <string>
#include <string_view>

namespace dnsp::config::testing {

class TempDir {
 public:
  TempDir();  // under $TMPDIR, else /tmp; fails the test if mkdtemp fails
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `contents` to path()/name and returns the file's full path.
  std::string write(std::string_view name, std::string_view contents) const;
  // path()/name, without creating anything.
  std::string file(std::string_view name) const;

 private:
  std::string path_;
};

}  // namespace dnsp::config::testing
