#include "core/lock.h"

#include <fcntl.h>
#include <sys/file.h>

#include <fmt/core.h>

namespace berth {
namespace {

Result<FileLock> lock_file(const std::string& path, FileLock::Kind kind, bool wait, UniqueFd& fd_out) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return sys_error(fmt::format("open lock {}", path));
  int operation = (kind == FileLock::Kind::exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
  while (::flock(fd.get(), operation) != 0) {
    if (errno == EINTR) continue;
    if (!wait && errno == EWOULDBLOCK) return FileLock();
    return sys_error(fmt::format("lock {}", path));
  }
  fd_out = std::move(fd);
  return FileLock();
}

}  // namespace

Result<FileLock> FileLock::acquire(const std::string& path, Kind kind) {
  UniqueFd fd;
  BERTH_TRY(lock_file(path, kind, true, fd));
  return FileLock(std::move(fd));
}

Result<FileLock> FileLock::try_acquire(const std::string& path, Kind kind) {
  UniqueFd fd;
  BERTH_TRY(lock_file(path, kind, false, fd));
  if (!fd) return FileLock();
  return FileLock(std::move(fd));
}

}  // namespace berth
