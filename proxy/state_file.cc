#include "proxy/state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dnsp::proxy {
namespace {

std::string failed(const std::string& what, int error) {
  return what + ": " + std::strerror(error);
}

// The directory holding `path` ("." for a bare name).
std::string directory_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::string write_state_file(const std::string& path, std::string_view text) {
  const std::string tmp = path + ".new";
  // The file keeps the mode it had (an operator may have made it 0600); a new one is 0644,
  // less the umask: it holds public keys only.
  mode_t mode = 0644;
  bool keep_mode = false;
  if (struct stat st{}; ::stat(path.c_str(), &st) == 0) {
    mode = st.st_mode & 07777;
    keep_mode = true;
  }
  // A PATH.new left by a crash, or planted there (a symlink to another file would have us
  // write through it): removed, and the new one created exclusively, never following a
  // link. One created again in between makes the open fail (EEXIST), not write elsewhere.
  if (::unlink(tmp.c_str()) != 0 && errno != ENOENT) return failed("cannot remove " + tmp, errno);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return failed("cannot write " + tmp, errno);
  const auto give_up = [&](const std::string& what, int error) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return failed(what, error);
  };
  if (keep_mode && ::fchmod(fd, mode) != 0) return give_up("cannot write " + tmp, errno);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return give_up("cannot write " + tmp, n < 0 ? errno : EIO);
    done += static_cast<size_t>(n);
  }
  // The new state reaches the disk before it replaces the old one.
  if (::fsync(fd) != 0) return give_up("cannot write " + tmp, errno);
  if (::close(fd) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return failed("cannot write " + tmp, e);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return failed("cannot replace " + path, e);
  }
  // The rename itself is durable only once the directory that records it is synced: else
  // a crash soon after may bring back the old state (with its older keys).
  const std::string dir = directory_of(path);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return failed("replaced " + path + " but cannot sync " + dir, errno);
  const int rc = ::fsync(dfd);
  const int e = errno;
  ::close(dfd);
  if (rc != 0) return failed("replaced " + path + " but cannot sync " + dir, e);
  return "";
}

}  // namespace dnsp::proxy
