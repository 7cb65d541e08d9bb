// tests/proxy: write_state_file (proxy/state_file.h), which replaces the RFC 5011 state
// file through PATH.new: the content, a stale or planted PATH.new, and the file's mode.
#include "proxy/state_file.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

// fsync, interposed for this executable (its definition wins over the C library's for
// every call in the test binary, proxy/state_file.cc included): records whether each synced
// descriptor is a directory, and fails with EIO on the call numbered g_fail_fsync_at.
namespace {
int g_fsync_calls = 0;
int g_fail_fsync_at = 0;  // 0: never fail
int g_directory_syncs = 0;
}  // namespace

extern "C" int fsync(int fd) {
  ++g_fsync_calls;
  if (struct stat st{}; ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) ++g_directory_syncs;
  if (g_fsync_calls == g_fail_fsync_at) {
    errno = EIO;
    return -1;
  }
  return static_cast<int>(::syscall(SYS_fsync, fd));
}

namespace dnsp::proxy {
namespace {

namespace fs = std::filesystem;

struct ScratchDir {
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "dnsp-state-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~ScratchDir() { fs::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
  fs::path path;
};

std::string contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

size_t open_descriptors() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

}  // namespace

TEST_CASE("state file: the file and then its directory are synced (the rename is durable)") {
  ScratchDir dir;
  g_fsync_calls = 0;
  g_directory_syncs = 0;
  CHECK(write_state_file(dir / "root.state", "state\n") == "");
  CHECK(g_fsync_calls == 2);
  CHECK(g_directory_syncs == 1);
}

TEST_CASE("state file: a failed fsync is an error, leaves no PATH.new and no descriptor open") {
  ScratchDir dir;
  const std::string path = dir / "root.state";
  REQUIRE(write_state_file(path, "old\n") == "");
  for (int failing : {1, 2}) {  // the file's fsync, then the directory's
    CAPTURE(failing);
    const size_t before = open_descriptors();
    g_fsync_calls = 0;
    g_fail_fsync_at = failing;
    const std::string err = write_state_file(path, "new\n");
    g_fail_fsync_at = 0;
    CHECK(err.find(failing == 1 ? "cannot write " + path + ".new" : "cannot sync") !=
          std::string::npos);
    CHECK(open_descriptors() == before);
    CHECK_FALSE(fs::exists(path + ".new"));
    // A failed file sync leaves the old state; after the rename, the new one is in place.
    CHECK(contents(path) == (failing == 1 ? "old\n" : "new\n"));
  }
}

TEST_CASE("state file: written through PATH.new, which does not remain") {
  ScratchDir dir;
  const std::string path = dir / "root.state";
  CHECK(write_state_file(path, "first\n") == "");
  CHECK(contents(path) == "first\n");
  CHECK(write_state_file(path, "second\n") == "");
  CHECK(contents(path) == "second\n");
  CHECK_FALSE(fs::exists(path + ".new"));
}

TEST_CASE("state file: a symlink planted at PATH.new is not written through") {
  ScratchDir dir;
  const std::string path = dir / "root.state";
  const std::string victim = dir / "victim";
  { std::ofstream(victim) << "precious\n"; }
  REQUIRE(::symlink(victim.c_str(), (path + ".new").c_str()) == 0);
  CHECK(write_state_file(path, "state\n") == "");
  CHECK(contents(victim) == "precious\n");
  CHECK(contents(path) == "state\n");
  CHECK_FALSE(fs::is_symlink(path));
  CHECK_FALSE(fs::exists(fs::symlink_status(path + ".new")));
}

TEST_CASE("state file: a stale PATH.new left by a crash is replaced, not appended to") {
  ScratchDir dir;
  const std::string path = dir / "root.state";
  { std::ofstream(path + ".new") << "half of an old state that is much longer\n"; }
  CHECK(write_state_file(path, "new\n") == "");
  CHECK(contents(path) == "new\n");
}

TEST_CASE("state file: the replaced file keeps its mode; a new one is 0644 less the umask") {
  ScratchDir dir;
  const std::string path = dir / "root.state";
  { std::ofstream(path) << "old\n"; }
  REQUIRE(::chmod(path.c_str(), 0600) == 0);
  CHECK(write_state_file(path, "new\n") == "");
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  const std::string fresh = dir / "fresh.state";
  const mode_t old_mask = ::umask(022);
  CHECK(write_state_file(fresh, "x\n") == "");
  ::umask(old_mask);
  REQUIRE(::stat(fresh.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0644);
}

TEST_CASE("state file: a directory that cannot be written is an error naming the file") {
  ScratchDir dir;
  const std::string path = dir / "missing/root.state";
  const std::string err = write_state_file(path, "x\n");
  CHECK(err.find(path + ".new") != std::string::npos);
}

}  // namespace dnsp::proxy
