// The child's shared helpers: failure reporting and alloc-free path handling inside the container's root.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "engine/runtime/child_steps.h"
#include "engine/runtime/sync_channel.h"

namespace berth::runtime::child {

// ---- failure reporting ----------------------------------------------------------------------------------------

namespace {

struct ChildFailure {
  int error_number = 0;
  bool complete = false;  // the text already says why (no strerror to append)
  char text[480] = {};
};
ChildFailure g_failure;

// Hidden helper for make_directory_in_root.
int make_directory_in_root_at_depth(int root_fd, const char* path, int depth);

}  // namespace

// Records what failed (errno is captured by the caller, before any other call can clobber it) and returns false,
// so a step can `return fail(errno, "mount %s", path);`.
bool fail(int error_number, const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(g_failure.text, sizeof g_failure.text, format, args);
  va_end(args);
  g_failure.error_number = error_number;
  g_failure.complete = false;
  return false;
}

// As fail(), for messages that already say why ("executable file not found in $PATH").
bool fail_with_reason(int error_number, const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(g_failure.text, sizeof g_failure.text, format, args);
  va_end(args);
  g_failure.error_number = error_number;
  g_failure.complete = true;
  return false;
}


[[noreturn]] void exit_with_failure(const InitPlan& plan, const ChildState& state) {
  if (state.gate_fd >= 0) {
    // `start` is reading the fifo: "errno complete text".
    char line[sizeof g_failure.text + 24];
    int length = std::snprintf(line, sizeof line, "%d %d %s", g_failure.error_number, g_failure.complete ? 1 : 0,
                               g_failure.text);
    if (length > 0) (void)!::write(state.gate_fd, line, static_cast<size_t>(length));
  } else {
    SyncMessage message;
    message.kind = SyncKind::error;
    message.error_number = g_failure.error_number;
    message.pid = g_failure.complete ? 1 : 0;  // for errors, `pid` says whether the text is complete
    std::memcpy(message.text, g_failure.text, sizeof g_failure.text);
    (void)send_sync_message(plan.sync_fd, message);
  }
  ::_exit(1);
}

// ---- small alloc-free helpers ---------------------------------------------------------------------------------

// openat2 with RESOLVE_IN_ROOT: "..", absolute symlinks and the like stay inside `root_fd`, so nothing an image
// contains (a /dev -> /host symlink, a symlinked mount target) can redirect a step to the host.
int open_in_container(int root_fd, const char* path, int flags, mode_t mode) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  while (*path == '/') ++path;
  if (*path == '\0') path = ".";
  return static_cast<int>(::syscall(SYS_openat2, root_fd, path, &how, sizeof how));
}

FdPath::FdPath(int fd) { std::snprintf(text, sizeof text, "/proc/self/fd/%d", fd); }

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// mkdir -p inside the root; returns an O_PATH fd of the directory. A component that is a dangling symlink gets its
// target created, resolved inside the root as well (as runc's securejoin MkdirAll does).
namespace {

int make_directory_in_root_at_depth(int root_fd, const char* path, int depth) {
  int fd = open_in_container(root_fd, path, O_PATH | O_DIRECTORY);
  if (fd >= 0 || errno != ENOENT) return fd;
  if (depth > 40) {
    errno = ELOOP;
    return -1;
  }
  char prefix[PATH_MAX];
  size_t length = std::strlen(path);
  if (length >= sizeof prefix) {
    errno = ENAMETOOLONG;
    return -1;
  }
  std::memcpy(prefix, path, length + 1);
  int parent = open_in_container(root_fd, ".", O_PATH | O_DIRECTORY);
  if (parent < 0) return -1;
  char* component = prefix;
  while (*component == '/') ++component;
  while (*component) {
    char* end = std::strchr(component, '/');
    if (end) *end = '\0';
    int next = open_in_container(root_fd, prefix, O_PATH | O_DIRECTORY);
    if (next < 0 && errno == ENOENT) {
      if (::mkdirat(parent, component, 0755) != 0 && errno != EEXIST) {
        int saved = errno;
        ::close(parent);
        errno = saved;
        return -1;
      }
      next = open_in_container(root_fd, prefix, O_PATH | O_DIRECTORY);
      char link[PATH_MAX];
      ssize_t link_length = next < 0 ? ::readlinkat(parent, component, link, sizeof link - 1) : -1;
      if (link_length > 0) {
        // A dangling symlink: create what it points to, inside the root, relative to the symlink's directory.
        link[link_length] = '\0';
        char target[PATH_MAX];
        int written = link[0] == '/' ? std::snprintf(target, sizeof target, "%s", link)
                                     : std::snprintf(target, sizeof target, "%.*s%s",
                                                     static_cast<int>(component - prefix), prefix, link);
        if (written > 0 && static_cast<size_t>(written) < sizeof target) {
          int made = make_directory_in_root_at_depth(root_fd, target, depth + 1);
          if (made >= 0) ::close(made);
        }
        next = open_in_container(root_fd, prefix, O_PATH | O_DIRECTORY);
      }
    }
    int saved = errno;
    ::close(parent);
    if (next < 0) {
      errno = saved;
      return -1;
    }
    parent = next;
    if (!end) break;
    *end = '/';
    component = end + 1;
    while (*component == '/') ++component;
  }
  return parent;
}

}  // namespace

int make_directory_in_root(int root_fd, const char* path) { return make_directory_in_root_at_depth(root_fd, path, 0); }

// Creates an empty file (and its parent directories) inside the root if missing; returns an O_PATH fd of it.
int make_file_in_root(int root_fd, const char* path) {
  int fd = open_in_container(root_fd, path, O_PATH);
  if (fd >= 0 || errno != ENOENT) return fd;
  char parent_path[PATH_MAX];
  size_t length = std::strlen(path);
  if (length >= sizeof parent_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  std::memcpy(parent_path, path, length + 1);
  char* slash = std::strrchr(parent_path, '/');
  const char* name = path;
  if (slash) {
    *slash = '\0';
    name = path + (slash - parent_path) + 1;
  } else {
    parent_path[0] = '\0';
  }
  int parent = make_directory_in_root(root_fd, parent_path);
  if (parent < 0) return -1;
  int created = ::openat(parent, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  int saved = errno;
  ::close(parent);
  if (created < 0 && saved != EEXIST) {
    errno = saved;
    return -1;
  }
  if (created >= 0) ::close(created);
  return open_in_container(root_fd, path, O_PATH);
}

bool write_all(int fd, const char* data, size_t length) {
  while (length > 0) {
    ssize_t written = ::write(fd, data, length);
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += written;
    length -= static_cast<size_t>(written);
  }
  return true;
}

// MS_* bits that mount_setattr(2) expresses as MOUNT_ATTR_*.
void mount_flags_to_attributes(unsigned long flags, unsigned long clear_flags, mount_attr& attr) {
  struct Pair {
    unsigned long flag;
    uint64_t attribute;
  };
  constexpr Pair kPairs[] = {
      {MS_RDONLY, MOUNT_ATTR_RDONLY},         {MS_NOSUID, MOUNT_ATTR_NOSUID},
      {MS_NODEV, MOUNT_ATTR_NODEV},           {MS_NOEXEC, MOUNT_ATTR_NOEXEC},
      {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME}, {MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
  };
  for (auto& pair : kPairs) {
    if (flags & pair.flag) attr.attr_set |= pair.attribute;
    if (clear_flags & pair.flag) attr.attr_clr |= pair.attribute;
  }
  // atime is a field, not a bit: only touch it when the options said something about it.
  if (flags & MS_NOATIME) {
    attr.attr_clr |= MOUNT_ATTR__ATIME;
    attr.attr_set |= MOUNT_ATTR_NOATIME;
  } else if (flags & MS_STRICTATIME) {
    attr.attr_clr |= MOUNT_ATTR__ATIME;
    attr.attr_set |= MOUNT_ATTR_STRICTATIME;
  } else if (flags & MS_RELATIME) {
    attr.attr_clr |= MOUNT_ATTR__ATIME;
    attr.attr_set |= MOUNT_ATTR_RELATIME;
  }
}

// Attaches a detached mount tree (open_tree/fsmount) on top of `target_fd`.
bool attach_mount(int tree_fd, int target_fd, const char* shown_target) {
  if (::move_mount(tree_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
    return fail(errno, "attach mount on %s", shown_target);
  return true;
}

}  // namespace berth::runtime::child
