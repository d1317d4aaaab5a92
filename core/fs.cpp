#include "core/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <fmt/core.h>

namespace berth::fs {
namespace {

Result<std::string> read_all(int fd, const std::string& path) {
  std::string content;
  char buffer[16384];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error(fmt::format("read {}", path));
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
  }
  return content;
}

Result<void> write_all(int fd, std::string_view content, const std::string& path) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error(fmt::format("write {}", path));
    }
    content.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Removes everything below the directory `dir_fd` (which lives on device `device`).
Result<void> remove_contents(int dir_fd, dev_t device, const std::string& shown_path) {
  int dup_fd = ::dup(dir_fd);
  if (dup_fd < 0) return sys_error("dup");
  DIR* dir = ::fdopendir(dup_fd);
  if (!dir) {
    ::close(dup_fd);
    return sys_error(fmt::format("opendir {}", shown_path));
  }
  std::vector<std::string> names;
  while (auto* entry = ::readdir(dir)) {
    if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0) continue;
    names.emplace_back(entry->d_name);
  }
  ::closedir(dir);
  for (const auto& name : names) {
    struct stat st {};
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      return sys_error(fmt::format("stat {}/{}", shown_path, name));
    }
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != device)
        return unexpected(Error(fmt::format("refusing to remove {}/{}: another file system is mounted there",
                                            shown_path, name), EBUSY));
      UniqueFd child(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!child) return sys_error(fmt::format("open {}/{}", shown_path, name));
      BERTH_TRY(remove_contents(child.get(), device, shown_path + "/" + name));
      if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
        return sys_error(fmt::format("rmdir {}/{}", shown_path, name));
    } else if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
      return sys_error(fmt::format("unlink {}/{}", shown_path, name));
    }
  }
  return {};
}

}  // namespace

Result<std::string> read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return sys_error(fmt::format("open {}", path));
  return read_all(fd.get(), path);
}

Result<std::string> read_file_at(int dir_fd, const std::string& path) {
  UniqueFd fd(::openat(dir_fd, path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return sys_error(fmt::format("open {}", path));
  return read_all(fd.get(), path);
}

Result<void> write_file_atomic(const std::string& path, std::string_view content, mode_t mode,
                               Durability durability) {
  const bool sync = durability == Durability::power_loss;
  static thread_local unsigned counter = 0;
  std::string temp = fmt::format("{}.tmp-{}-{}-{}", path, ::getpid(), ::gettid(), counter++);
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd) return sys_error(fmt::format("create {}", temp));
  auto written = write_all(fd.get(), content, temp);
  if (written && sync && ::fsync(fd.get()) != 0) written = sys_error(fmt::format("fsync {}", temp));
  if (!written) {
    ::unlink(temp.c_str());
    return written;
  }
  fd.reset();
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    auto error = sys_error(fmt::format("rename {} to {}", temp, path));
    ::unlink(temp.c_str());
    return error;
  }
  if (sync) {
    UniqueFd dir(::open(parent_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir) ::fsync(dir.get());
  }
  return {};
}

Result<void> write_file(const std::string& path, std::string_view content) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_TRUNC));
  if (!fd) return sys_error(fmt::format("open {}", path));
  return write_all(fd.get(), content, path);
}

Result<void> make_directories(const std::string& path, mode_t mode) {
  if (path.empty()) return {};
  std::string partial;
  partial.reserve(path.size());
  size_t position = 0;
  while (position <= path.size()) {
    size_t next = path.find('/', position);
    if (next == std::string::npos) next = path.size();
    partial = path.substr(0, next);
    if (!partial.empty() && ::mkdir(partial.c_str(), mode) != 0 && errno != EEXIST)
      return sys_error(fmt::format("mkdir {}", partial));
    position = next + 1;
  }
  if (!is_directory(path)) return unexpected(Error(fmt::format("mkdir {}: not a directory", path), ENOTDIR));
  return {};
}

Result<void> remove_tree(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return sys_error(fmt::format("stat {}", path));
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return sys_error(fmt::format("unlink {}", path));
    return {};
  }
  UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) return sys_error(fmt::format("open {}", path));
  BERTH_TRY(remove_contents(dir.get(), st.st_dev, path));
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return sys_error(fmt::format("rmdir {}", path));
  return {};
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Result<std::vector<std::string>> list_directory(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  if (!dir) {
    if (errno == ENOENT) return names;
    return sys_error(fmt::format("opendir {}", path));
  }
  while (auto* entry = ::readdir(dir)) {
    if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0) continue;
    names.emplace_back(entry->d_name);
  }
  ::closedir(dir);
  return names;
}

Result<std::string> make_temp_directory(const std::string& parent, std::string_view prefix) {
  std::string pattern = fmt::format("{}/{}XXXXXX", parent, prefix);
  if (!::mkdtemp(pattern.data())) return sys_error(fmt::format("mkdtemp {}", pattern));
  return pattern;
}

Result<UniqueFd> open_in_root(int root_fd, std::string_view path, int flags, mode_t mode) {
  struct open_how how {};
  how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  std::string relative(path);
  while (!relative.empty() && relative.front() == '/') relative.erase(0, 1);
  if (relative.empty()) relative = ".";
  long fd = ::syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof how);
  if (fd < 0) return sys_error(fmt::format("open {} inside the container root", path));
  return UniqueFd(static_cast<int>(fd));
}

std::string fd_path(int fd) { return fmt::format("/proc/self/fd/{}", fd); }

std::string join(std::string_view base, std::string_view name) {
  std::string joined(base);
  while (!joined.empty() && joined.back() == '/') joined.pop_back();
  while (!name.empty() && name.front() == '/') name.remove_prefix(1);
  joined += '/';
  joined += name;
  return joined;
}

}  // namespace berth::fs
