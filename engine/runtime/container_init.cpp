// The child side of container creation and exec: runs between clone and execve. It follows an InitPlan made by the
// parent, one step per line in run_container_init / run_exec_process, and allocates nothing (the caller may be
// multi-threaded and clone3 runs no atfork handlers, so the allocator's lock may be held by a thread that does not
// exist here). A failed step records errno and what it was doing; the parent turns that into an Error.
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "engine/runtime/init_plan.h"
#include "engine/runtime/sync_channel.h"

namespace berth::runtime {
namespace {

// ---- failure reporting ----------------------------------------------------------------------------------------

struct ChildFailure {
  int error_number = 0;
  bool complete = false;  // the text already says why (no strerror to append)
  char text[480] = {};
};
ChildFailure g_failure;

// Records what failed (errno is captured by the caller, before any other call can clobber it) and returns false,
// so a step can `return fail(errno, "mount %s", path);`.
[[gnu::format(printf, 2, 3)]] bool fail(int error_number, const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(g_failure.text, sizeof g_failure.text, format, args);
  va_end(args);
  g_failure.error_number = error_number;
  g_failure.complete = false;
  return false;
}

// As fail(), for messages that already say why ("executable file not found in $PATH").
[[gnu::format(printf, 2, 3)]] bool fail_with_reason(int error_number, const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(g_failure.text, sizeof g_failure.text, format, args);
  va_end(args);
  g_failure.error_number = error_number;
  g_failure.complete = true;
  return false;
}

#define CHILD_STEP(call)      \
  do {                        \
    if (!(call)) return false; \
  } while (0)

// State of the child that steps hand on to later steps.
struct ChildState {
  int root_fd = -1;  // the container's root, after pivot_root "/" itself
  int gate_fd = -1;  // write end of exec.fifo once `start` opened it: later failures go there
  char executable[PATH_MAX] = {};
};

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
int open_in_container(int root_fd, const char* path, int flags, mode_t mode = 0) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  while (*path == '/') ++path;
  if (*path == '\0') path = ".";
  return static_cast<int>(::syscall(SYS_openat2, root_fd, path, &how, sizeof how));
}

struct FdPath {
  char text[32];
  explicit FdPath(int fd) { std::snprintf(text, sizeof text, "/proc/self/fd/%d", fd); }
};

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// mkdir -p inside the root; returns an O_PATH fd of the directory. A component that is a dangling symlink gets its
// target created, resolved inside the root as well (as runc's securejoin MkdirAll does).
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

// ---- process-wide steps ---------------------------------------------------------------------------------------

bool reset_signal_handling() {
  // The caller's handlers, ignored signals and blocked mask would otherwise survive into the container (an ignored
  // SIGPIPE breaks pipelines; a blocked SIGTERM makes the container unstoppable).
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  for (int signal = 1; signal < NSIG; ++signal)
    if (signal != SIGKILL && signal != SIGSTOP) (void)::sigaction(signal, &action, nullptr);
  sigset_t none;
  sigemptyset(&none);
  if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0) return fail(errno, "unblock signals");
  return true;
}

bool protect_from_inspection() {
  // Not dumpable until execve (which resets it): a process exec'd into a created container cannot ptrace us or open
  // our fds (which include the host's state directory) through /proc (CVE-2016-9962).
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return fail(errno, "prctl(PR_SET_DUMPABLE)");
  // Our files get exactly the modes we ask for; the process's umask is set at the end.
  ::umask(0);
  return true;
}

bool install_stdio(const InitPlan& plan) {
  int moved[3] = {-1, -1, -1};
  // First move the requested fds out of 0..2, so that e.g. stdout_fd == 0 is not clobbered by the stdin dup2.
  for (int i = 0; i < 3; ++i)
    if (plan.stdio[i] >= 0 && plan.stdio[i] != i) {
      moved[i] = ::fcntl(plan.stdio[i], F_DUPFD_CLOEXEC, 3);
      if (moved[i] < 0) return fail(errno, "duplicate stdio fd %d", plan.stdio[i]);
    }
  for (int i = 0; i < 3; ++i) {
    if (moved[i] < 0) {
      if (plan.stdio[i] == i) (void)::fcntl(i, F_SETFD, 0);  // make sure it survives execve
      continue;
    }
    if (::dup2(moved[i], i) < 0) return fail(errno, "dup2 onto fd %d", i);
    ::close(moved[i]);
  }
  return true;
}

// Closes every fd but 0..2 and the ones the plan still needs, so nothing of the caller's (host directories,
// sockets) is reachable from inside: not even through /proc/self/fd during chdir (CVE-2024-21626).
bool close_inherited_fds(const InitPlan& plan) {
  int keep[16];
  int count = 0;
  auto add = [&](int fd) {
    if (fd > 2 && count < 16) keep[count++] = fd;
  };
  add(plan.sync_fd);
  add(plan.start_dir_fd);
  for (auto& [fd, type] : plan.join_namespaces) add(fd);
  for (int i = 1; i < count; ++i)  // insertion sort: at most a handful
    for (int j = i; j > 0 && keep[j - 1] > keep[j]; --j) std::swap(keep[j - 1], keep[j]);
  unsigned next = 3;
  for (int i = 0; i < count; ++i) {
    if (static_cast<unsigned>(keep[i]) > next && ::close_range(next, static_cast<unsigned>(keep[i]) - 1, 0) != 0)
      return fail(errno, "close inherited fds");
    next = static_cast<unsigned>(keep[i]) + 1;
  }
  if (::close_range(next, ~0U, 0) != 0) return fail(errno, "close inherited fds");
  return true;
}

bool join_namespaces(const InitPlan& plan) {
  for (auto& [fd, type] : plan.join_namespaces) {
    if (::setns(fd, type) != 0) return fail(errno, "join namespace (setns type 0x%x)", type);
    ::close(fd);
  }
  return true;
}

bool join_cgroup(const InitPlan& plan, bool in_cgroup) {
  // First of all: nothing may run outside the container's cgroup (and its limits), not even our own set-up.
  if (in_cgroup || !plan.cgroup_join) return true;
  const char* failed = nullptr;
  if (int error = cgroup::join_self(*plan.cgroup_join, &failed); error != 0)
    return fail(error, "join the container's cgroup (%s)", failed ? failed : "?");
  return true;
}

bool unshare_cgroup_namespace(const InitPlan& plan) {
  // Only once we are inside the container's cgroup: the new namespace's root is the cgroup we are in now.
  if (plan.unshare_cgroup_namespace && ::unshare(CLONE_NEWCGROUP) != 0) return fail(errno, "unshare the cgroup namespace");
  return true;
}

bool become_session_leader() {
  // Our own session: the caller's terminal's signals (^C) are not the container's, and a console can become our
  // controlling terminal.
  if (::setsid() < 0 && errno != EPERM) return fail(errno, "setsid");
  return true;
}

bool set_oom_score_adj(const ProcessSpec& process) {
  if (!process.oom_score_adj) return true;
  char value[16];
  int length = std::snprintf(value, sizeof value, "%d", *process.oom_score_adj);
  int fd = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail(errno, "open /proc/self/oom_score_adj");
  bool written = write_all(fd, value, static_cast<size_t>(length));
  int saved = errno;
  ::close(fd);
  if (!written) return fail(saved, "write oom_score_adj %s", value);
  return true;
}

bool set_rlimits(const ProcessSpec& process) {
  for (auto& rlimit : process.rlimits) {
    struct rlimit value {
      rlimit.soft, rlimit.hard
    };
    if (::setrlimit(static_cast<__rlimit_resource>(rlimit.resource), &value) != 0)
      return fail(errno, "setrlimit %d (soft %llu, hard %llu)", rlimit.resource,
                  static_cast<unsigned long long>(rlimit.soft), static_cast<unsigned long long>(rlimit.hard));
  }
  return true;
}

// ---- root file system -----------------------------------------------------------------------------------------

bool make_mounts_unshared(const RuntimeSpec& spec) {
  // Nothing we mount may propagate back to the host: every mount in our copy of the host's tree becomes a slave
  // (or private, if the spec asks). This also satisfies pivot_root, which refuses shared mounts.
  unsigned long propagation = MS_SLAVE | MS_REC;
  if (spec.rootfs_propagation & MS_PRIVATE) propagation = MS_PRIVATE | MS_REC;
  if (::mount(nullptr, "/", nullptr, propagation, nullptr) != 0) return fail(errno, "make / a slave mount");
  return true;
}

bool bind_rootfs_onto_itself(const RuntimeSpec& spec, ChildState& state) {
  // pivot_root needs the new root to be a mount point.
  if (::mount(spec.root_path.c_str(), spec.root_path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
    return fail(errno, "bind the rootfs %s onto itself", spec.root_path.c_str());
  state.root_fd = ::open(spec.root_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (state.root_fd < 0) return fail(errno, "open the rootfs %s", spec.root_path.c_str());
  return true;
}

bool apply_propagation(int root_fd, const char* destination, unsigned long propagation) {
  if (!propagation) return true;
  // Re-open after mounting: the path now leads to the new mount's root, not the directory under it.
  int fd = open_in_container(root_fd, destination, O_PATH);
  if (fd < 0) return fail(errno, "open %s to set its propagation", destination);
  FdPath target(fd);
  int result = ::mount(nullptr, target.text, nullptr, propagation, nullptr);
  int saved = errno;
  ::close(fd);
  if (result != 0) return fail(saved, "set propagation of %s", destination);
  return true;
}

bool mount_bind(int root_fd, const MountSpec& mount) {
  const MountOptions& options = mount.options;
  // A detached copy of the source, whose flags are set before it becomes visible: no window in which a
  // "ro" bind is writable, and no remount dance.
  unsigned tree_flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (options.recursive_bind ? AT_RECURSIVE : 0);
  int tree = ::open_tree(AT_FDCWD, mount.source.c_str(), tree_flags);
  if (tree < 0) return fail(errno, "open bind source %s", mount.source.c_str());
  struct stat source {};
  if (::fstat(tree, &source) != 0) {
    int saved = errno;
    ::close(tree);
    return fail(saved, "stat bind source %s", mount.source.c_str());
  }
  int target = S_ISDIR(source.st_mode) ? make_directory_in_root(root_fd, mount.destination.c_str())
                                       : make_file_in_root(root_fd, mount.destination.c_str());
  if (target < 0) {
    int saved = errno;
    ::close(tree);
    return fail(saved, "create mount point %s", mount.destination.c_str());
  }
  bool ok = true;
  mount_attr attr{};
  mount_flags_to_attributes(options.flags, options.clear_flags, attr);
  if (options.propagation & ~MS_REC) attr.propagation = options.propagation & ~MS_REC;
  if ((attr.attr_set || attr.attr_clr || attr.propagation) &&
      ::mount_setattr(tree, "", AT_EMPTY_PATH | ((options.propagation & MS_REC) ? AT_RECURSIVE : 0), &attr,
                      sizeof attr) != 0)
    ok = fail(errno, "set options of bind mount %s", mount.destination.c_str());
  if (ok && (options.recursive_set || options.recursive_clear)) {
    mount_attr recursive{};
    recursive.attr_set = options.recursive_set;
    recursive.attr_clr = options.recursive_clear;
    if (::mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &recursive, sizeof recursive) != 0)
      ok = fail(errno, "set recursive options of bind mount %s", mount.destination.c_str());
  }
  if (ok) ok = attach_mount(tree, target, mount.destination.c_str());
  ::close(tree);
  ::close(target);
  return ok;
}

bool mount_filesystem(int root_fd, const PreparedMount& prepared) {
  const MountSpec& mount = *prepared.spec;
  int target = make_directory_in_root(root_fd, mount.destination.c_str());
  if (target < 0) return fail(errno, "create mount point %s", mount.destination.c_str());
  FdPath target_path(target);
  const char* source = mount.source.empty() ? mount.type.c_str() : mount.source.c_str();
  unsigned long flags = mount.options.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  int result = ::mount(source, target_path.text, mount.type.c_str(), flags, prepared.data);
  int saved = errno;
  ::close(target);
  if (result != 0) return fail(saved, "mount %s on %s", mount.type.c_str(), mount.destination.c_str());
  return apply_propagation(root_fd, mount.destination.c_str(), mount.options.propagation);
}

// Read-only, nosuid/nodev/noexec clone of a host directory, attached under `parent_fd`/`name`.
bool bind_read_only(const char* host_path, int target_fd, const char* shown_target, bool recursive) {
  int tree = ::open_tree(AT_FDCWD, host_path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
  if (tree < 0) return fail(errno, "open %s", host_path);
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
  bool ok = true;
  if (::mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) != 0)
    ok = fail(errno, "make %s read-only", host_path);
  if (ok) ok = attach_mount(tree, target_fd, shown_target);
  ::close(tree);
  return ok;
}

bool mount_cgroup_filesystem(int root_fd, const InitPlan& plan, const PreparedMount& prepared) {
  const MountSpec& mount = *prepared.spec;
  unsigned long flags = mount.options.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  int target = make_directory_in_root(root_fd, mount.destination.c_str());
  if (target < 0) return fail(errno, "create mount point %s", mount.destination.c_str());
  FdPath target_path(target);
  bool ok = true;
  switch (plan.cgroup_mount) {
    case CgroupMountKind::cgroup2_fresh:
      if (::mount("cgroup2", target_path.text, "cgroup2", flags, nullptr) != 0)
        ok = fail(errno, "mount cgroup2 on %s", mount.destination.c_str());
      break;
    case CgroupMountKind::cgroup2_bind:
      ok = bind_read_only(plan.cgroup2_directory.c_str(), target, mount.destination.c_str(), false);
      break;
    case CgroupMountKind::v1_binds: {
      // As runc: a tmpfs holding one read-only bind of the container's own cgroup per hierarchy (a fresh v1 mount
      // would show the host's whole tree without a cgroup namespace). Every bind is read-only (CVE-2023-25809).
      if (::mount("tmpfs", target_path.text, "tmpfs", (flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "mode=755") != 0) {
        ok = fail(errno, "mount tmpfs on %s", mount.destination.c_str());
        break;
      }
      int tmpfs = open_in_container(root_fd, mount.destination.c_str(), O_PATH | O_DIRECTORY);
      if (tmpfs < 0) {
        ok = fail(errno, "open %s", mount.destination.c_str());
        break;
      }
      for (auto& hierarchy : plan.cgroup_binds) {
        if (::mkdirat(tmpfs, hierarchy.name.c_str(), 0755) != 0 && errno != EEXIST) {
          ok = fail(errno, "mkdir %s/%s", mount.destination.c_str(), hierarchy.name.c_str());
          break;
        }
        int directory = ::openat(tmpfs, hierarchy.name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (directory < 0) {
          ok = fail(errno, "open %s/%s", mount.destination.c_str(), hierarchy.name.c_str());
          break;
        }
        ok = bind_read_only(hierarchy.host_directory.c_str(), directory, hierarchy.name.c_str(), false);
        ::close(directory);
        if (!ok) break;
      }
      if (ok && (flags & MS_RDONLY)) {
        mount_attr attr{};
        attr.attr_set = MOUNT_ATTR_RDONLY;
        if (::mount_setattr(tmpfs, "", AT_EMPTY_PATH, &attr, sizeof attr) != 0)
          ok = fail(errno, "make %s read-only", mount.destination.c_str());
      }
      ::close(tmpfs);
      break;
    }
  }
  ::close(target);
  return ok;
}

bool perform_mounts(const InitPlan& plan, const ChildState& state) {
  for (auto& prepared : plan.mounts) {
    if (prepared.is_cgroup)
      CHILD_STEP(mount_cgroup_filesystem(state.root_fd, plan, prepared));
    else if (prepared.spec->options.bind)
      CHILD_STEP(mount_bind(state.root_fd, *prepared.spec));
    else
      CHILD_STEP(mount_filesystem(state.root_fd, prepared));
  }
  return true;
}

bool make_device(int root_fd, const char* path, mode_t type, mode_t permissions, dev_t device, uid_t uid, gid_t gid) {
  char parent_path[PATH_MAX];
  std::snprintf(parent_path, sizeof parent_path, "%s", path);
  char* slash = std::strrchr(parent_path, '/');
  const char* name = slash ? path + (slash - parent_path) + 1 : path;
  if (slash) *slash = '\0';
  int parent = make_directory_in_root(root_fd, parent_path);
  if (parent < 0) return fail(errno, "create directory for device %s", path);
  struct stat existing {};
  if (::fstatat(parent, name, &existing, AT_SYMLINK_NOFOLLOW) == 0) {
    if ((existing.st_mode & S_IFMT) == type && existing.st_rdev == device) {
      ::close(parent);
      return true;
    }
    (void)::unlinkat(parent, name, 0);  // an image's stale node or symlink
  }
  bool ok = true;
  if (::mknodat(parent, name, type | permissions, device) != 0)
    ok = fail(errno, "mknod %s", path);
  else if ((uid || gid) && ::fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
    ok = fail(errno, "chown %s", path);
  ::close(parent);
  return ok;
}

bool create_devices(const InitPlan& plan, const ChildState& state) {
  if (plan.create_default_devices) {
    // runtime-spec "Default Devices".
    struct DefaultDevice {
      const char* path;
      unsigned major, minor;
    };
    constexpr DefaultDevice kDefaults[] = {
        {"/dev/null", 1, 3}, {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
        {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
    };
    for (auto& device : kDefaults)
      CHILD_STEP(make_device(state.root_fd, device.path, S_IFCHR, 0666, makedev(device.major, device.minor), 0, 0));
  }
  for (auto& device : plan.spec->devices) {
    mode_t type = device.type == 'b' ? S_IFBLK : device.type == 'p' ? S_IFIFO : S_IFCHR;
    CHILD_STEP(make_device(state.root_fd, device.path.c_str(), type, device.file_mode,
                           makedev(static_cast<unsigned>(device.major), static_cast<unsigned>(device.minor)),
                           device.uid, device.gid));
  }
  return true;
}

bool create_default_symlinks(const InitPlan& plan, const ChildState& state) {
  int dev = make_directory_in_root(state.root_fd, "/dev");
  if (dev < 0) return fail(errno, "open /dev");
  struct Link {
    const char* name;
    const char* target;
  };
  constexpr Link kLinks[] = {
      {"fd", "/proc/self/fd"},
      {"stdin", "/proc/self/fd/0"},
      {"stdout", "/proc/self/fd/1"},
      {"stderr", "/proc/self/fd/2"},
  };
  bool ok = true;
  for (auto& link : kLinks)
    if (::symlinkat(link.target, dev, link.name) != 0 && errno != EEXIST) {
      ok = fail(errno, "symlink /dev/%s", link.name);
      break;
    }
  if (ok && plan.devpts_mounted) {
    // /dev/ptmx must be the container's own devpts instance's, not a host node an image ships.
    struct stat existing {};
    if (::fstatat(dev, "ptmx", &existing, AT_SYMLINK_NOFOLLOW) == 0) (void)::unlinkat(dev, "ptmx", 0);
    if (::symlinkat("pts/ptmx", dev, "ptmx") != 0) ok = fail(errno, "symlink /dev/ptmx");
  }
  if (ok && plan.process->terminal && plan.role == ProcessRole::container_init) {
    // The bind target for the console.
    int console = ::openat(dev, "console", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (console < 0 && errno != EEXIST) ok = fail(errno, "create /dev/console");
    if (console >= 0) ::close(console);
  }
  ::close(dev);
  return ok;
}

bool pivot_into_rootfs(ChildState& state) {
  // pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves the container's root alone
  // with no path back to the host (no temporary directory inside the rootfs needed).
  if (::fchdir(state.root_fd) != 0) return fail(errno, "chdir into the rootfs");
  if (::syscall(SYS_pivot_root, ".", ".") != 0) return fail(errno, "pivot_root");
  if (::umount2(".", MNT_DETACH) != 0) return fail(errno, "detach the old root");
  if (::chdir("/") != 0) return fail(errno, "chdir /");
  close_fd(state.root_fd);
  state.root_fd = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (state.root_fd < 0) return fail(errno, "open /");
  return true;
}

bool set_root_propagation(const RuntimeSpec& spec) {
  unsigned long propagation = spec.rootfs_propagation;
  if (!propagation || (propagation & (MS_SLAVE | MS_PRIVATE))) return true;  // already done before the pivot
  if (::mount(nullptr, "/", nullptr, propagation, nullptr) != 0) return fail(errno, "set rootfs propagation");
  return true;
}

bool make_root_read_only(const RuntimeSpec& spec, const ChildState& state) {
  if (!spec.root_readonly) return true;
  // Only the root mount itself: /proc, /dev, /sys and volumes below keep their own flags.
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  if (::mount_setattr(state.root_fd, "", AT_EMPTY_PATH, &attr, sizeof attr) != 0)
    return fail(errno, "make the root file system read-only");
  return true;
}

// The container's own /dev/null, verified to be the real character device 1:3: an image (or an earlier step) that
// replaced it with a symlink or another file must not be able to turn a mask into a bind of something else
// (CVE-2025-31133).
int open_verified_dev_null(const ChildState& state) {
  open_how how{};
  how.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd = static_cast<int>(::syscall(SYS_openat2, state.root_fd, "dev/null", &how, sizeof how));
  if (fd < 0) return fail(errno, "open /dev/null to mask paths"), -1;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
    ::close(fd);
    return fail(EPERM, "/dev/null is not the null device (char 1:3); refusing to use it for masking"), -1;
  }
  return fd;
}

bool mask_paths(const RuntimeSpec& spec, const ChildState& state) {
  if (spec.masked_paths.empty()) return true;
  int dev_null = open_verified_dev_null(state);
  if (dev_null < 0) return false;
  bool ok = true;
  for (auto& path : spec.masked_paths) {
    int target = open_in_container(state.root_fd, path.c_str(), O_PATH);
    if (target < 0) {
      if (errno == ENOENT) continue;
      ok = fail(errno, "open masked path %s", path.c_str());
      break;
    }
    struct stat st {};
    if (::fstat(target, &st) != 0) {
      ok = fail(errno, "stat masked path %s", path.c_str());
    } else if (S_ISDIR(st.st_mode)) {
      // An empty read-only tmpfs hides the directory's content.
      int context = ::fsopen("tmpfs", FSOPEN_CLOEXEC);
      int mounted = -1;
      if (context < 0 || ::fsconfig(context, FSCONFIG_SET_STRING, "nr_inodes", "1", 0) != 0 ||
          ::fsconfig(context, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0 ||
          (mounted = ::fsmount(context, FSMOUNT_CLOEXEC,
                               MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)) < 0)
        ok = fail(errno, "make a tmpfs to mask %s", path.c_str());
      else
        ok = attach_mount(mounted, target, path.c_str());
      if (mounted >= 0) ::close(mounted);
      if (context >= 0) ::close(context);
    } else {
      int tree = ::open_tree(dev_null, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
      if (tree < 0)
        ok = fail(errno, "clone /dev/null to mask %s", path.c_str());
      else
        ok = attach_mount(tree, target, path.c_str());
      if (tree >= 0) ::close(tree);
    }
    ::close(target);
    if (!ok) break;
  }
  ::close(dev_null);
  return ok;
}

bool make_paths_read_only(const RuntimeSpec& spec, const ChildState& state) {
  for (auto& path : spec.readonly_paths) {
    int target = open_in_container(state.root_fd, path.c_str(), O_PATH);
    if (target < 0) {
      if (errno == ENOENT) continue;
      return fail(errno, "open read-only path %s", path.c_str());
    }
    int tree = ::open_tree(target, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
    bool ok = true;
    if (tree < 0) {
      ok = fail(errno, "clone %s", path.c_str());
    } else {
      mount_attr attr{};
      attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
      if (::mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0)
        ok = fail(errno, "make %s read-only", path.c_str());
      if (ok) ok = attach_mount(tree, target, path.c_str());
      ::close(tree);
    }
    ::close(target);
    if (!ok) return false;
  }
  return true;
}

bool setup_rootfs(const InitPlan& plan, ChildState& state) {
  const RuntimeSpec& spec = *plan.spec;
  CHILD_STEP(make_mounts_unshared(spec));
  CHILD_STEP(bind_rootfs_onto_itself(spec, state));
  CHILD_STEP(perform_mounts(plan, state));
  CHILD_STEP(create_devices(plan, state));
  CHILD_STEP(create_default_symlinks(plan, state));
  CHILD_STEP(pivot_into_rootfs(state));
  CHILD_STEP(set_root_propagation(spec));
  CHILD_STEP(make_root_read_only(spec, state));
  return true;
}

// ---- namespaces' contents -------------------------------------------------------------------------------------

bool set_hostname(const RuntimeSpec& spec) {
  if (!spec.hostname.empty() && ::sethostname(spec.hostname.c_str(), spec.hostname.size()) != 0)
    return fail(errno, "sethostname %s", spec.hostname.c_str());
  if (!spec.domainname.empty() && ::setdomainname(spec.domainname.c_str(), spec.domainname.size()) != 0)
    return fail(errno, "setdomainname %s", spec.domainname.c_str());
  return true;
}

bool bring_loopback_up(const InitPlan& plan) {
  if (!plan.new_network) return true;
  int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return fail(errno, "socket for lo");
  ifreq request{};
  std::memcpy(request.ifr_name, "lo", 3);
  bool ok = true;
  if (::ioctl(sock, SIOCGIFFLAGS, &request) != 0) {
    ok = fail(errno, "get flags of lo");
  } else {
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
    if (::ioctl(sock, SIOCSIFFLAGS, &request) != 0) ok = fail(errno, "bring lo up");
  }
  ::close(sock);
  return ok;
}

bool apply_sysctls(const InitPlan& plan, const ChildState& state) {
  // Through the container's /proc/sys, so the values land in the container's namespaces; before /proc/sys becomes
  // read-only.
  for (size_t i = 0; i < plan.sysctl_paths.size(); ++i) {
    const auto& value = plan.spec->sysctls[i].second;
    int fd = open_in_container(state.root_fd, plan.sysctl_paths[i].c_str(), O_WRONLY | O_TRUNC);
    if (fd < 0) return fail(errno, "open sysctl %s", plan.spec->sysctls[i].first.c_str());
    bool written = write_all(fd, value.c_str(), value.size());
    int saved = errno;
    ::close(fd);
    if (!written) return fail(saved, "set sysctl %s=%s", plan.spec->sysctls[i].first.c_str(), value.c_str());
  }
  return true;
}

// A pty from the container's own devpts, its peer bound over /dev/console (init only) and made our controlling
// terminal and stdio; the master goes to the parent.
bool setup_console(const InitPlan& plan, const ChildState& state) {
  if (!plan.process->terminal) return true;
  int master = open_in_container(state.root_fd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY);
  if (master < 0) return fail(errno, "open /dev/pts/ptmx in the container");
  struct statfs fs {};
  if (::fstatfs(master, &fs) != 0 || fs.f_type != DEVPTS_SUPER_MAGIC) {
    ::close(master);
    return fail(EPERM, "/dev/pts/ptmx in the container is not on a devpts file system");
  }
  int unlock = 0;
  int slave = -1;
  bool ok = true;
  if (::ioctl(master, TIOCSPTLCK, &unlock) != 0) {
    ok = fail(errno, "unlock the pty");
  } else if ((slave = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
    ok = fail(errno, "open the pty's peer");
  }
  if (ok && plan.process->console_height && plan.process->console_width) {
    winsize size{};
    size.ws_row = static_cast<unsigned short>(plan.process->console_height);
    size.ws_col = static_cast<unsigned short>(plan.process->console_width);
    if (::ioctl(slave, TIOCSWINSZ, &size) != 0) ok = fail(errno, "set the console size");
  }
  if (ok && ::fchown(slave, plan.process->user.uid, static_cast<gid_t>(-1)) != 0) ok = fail(errno, "chown the pty");
  if (ok && plan.role == ProcessRole::container_init) {
    int console = open_in_container(state.root_fd, "/dev/console", O_PATH | O_NOFOLLOW);
    int tree = console < 0 ? -1 : ::open_tree(slave, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
    if (console < 0 || tree < 0)
      ok = fail(errno, "bind the pty over /dev/console");
    else
      ok = attach_mount(tree, console, "/dev/console");
    if (tree >= 0) ::close(tree);
    if (console >= 0) ::close(console);
  }
  if (ok && ::ioctl(slave, TIOCSCTTY, 0) != 0) ok = fail(errno, "make the pty our controlling terminal");
  for (int i = 0; ok && i < 3; ++i)
    if (::dup2(slave, i) < 0) ok = fail(errno, "dup2 the pty onto fd %d", i);
  if (ok) {
    SyncMessage message;
    message.kind = SyncKind::console;
    if (!send_sync_message(plan.sync_fd, message, master)) ok = fail(errno, "send the pty master to the runtime");
  }
  if (slave >= 0) ::close(slave);
  ::close(master);
  return ok;
}

// ---- credentials and confinement ------------------------------------------------------------------------------

bool set_personality(const RuntimeSpec& spec) {
  if (spec.personality && ::personality(*spec.personality) < 0) return fail(errno, "personality");
  return true;
}

bool load_seccomp_filter(const InitPlan& plan) {
  if (plan.seccomp_program.empty()) return true;
  sock_fprog program{};
  program.len = static_cast<unsigned short>(plan.seccomp_program.size());
  program.filter = reinterpret_cast<sock_filter*>(const_cast<BpfInstruction*>(plan.seccomp_program.data()));
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, plan.seccomp_flags, &program) != 0)
    return fail(errno, "load the seccomp filter");
  return true;
}

bool set_no_new_privileges(const ProcessSpec& process) {
  if (process.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return fail(errno, "prctl(PR_SET_NO_NEW_PRIVS)");
  return true;
}

bool seccomp_before_dropping_privileges(const InitPlan& plan) {
  // Without no_new_privs, installing a filter needs CAP_SYS_ADMIN, which we still have now and not after the drop.
  if (plan.process->no_new_privileges) return true;
  return load_seccomp_filter(plan);
}

bool seccomp_as_late_as_possible(const InitPlan& plan) {
  // With no_new_privs the filter can come last, so it confines the user's program and nothing of ours.
  if (!plan.process->no_new_privileges) return true;
  return load_seccomp_filter(plan);
}

bool drop_bounding_set(const InitPlan& plan) {
  // Needs CAP_SETPCAP, so before the user switch.
  uint64_t keep = plan.process->capabilities.bounding;
  for (int cap = 0; cap <= plan.last_capability; ++cap)
    if (!(keep & (uint64_t{1} << cap)) && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      return fail(errno, "drop capability %d from the bounding set", cap);
  return true;
}

bool switch_user(const ProcessSpec& process) {
  // Keep the permitted set across setuid; we set all five sets explicitly right after.
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return fail(errno, "prctl(PR_SET_KEEPCAPS)");
  const auto& user = process.user;
  if (::setgroups(user.additional_gids.size(), user.additional_gids.data()) != 0)
    return fail(errno, "setgroups (%zu groups)", user.additional_gids.size());
  if (::setresgid(user.gid, user.gid, user.gid) != 0) return fail(errno, "setgid %u", user.gid);
  if (::setresuid(user.uid, user.uid, user.uid) != 0) return fail(errno, "setuid %u", user.uid);
  return true;
}

bool set_capabilities(const ProcessSpec& process) {
  const auto& caps = process.capabilities;
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    data[i].effective = static_cast<uint32_t>(caps.effective >> (32 * i));
    data[i].permitted = static_cast<uint32_t>(caps.permitted >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(caps.inheritable >> (32 * i));
  }
  if (::syscall(SYS_capset, &header, data) != 0) return fail(errno, "capset");
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    return fail(errno, "clear the ambient capabilities");
  for (int cap = 0; cap < 64; ++cap)
    if ((caps.ambient & (uint64_t{1} << cap)) && ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
      return fail(errno, "raise ambient capability %d", cap);
  return true;
}

bool set_umask(const ProcessSpec& process) {
  ::umask(process.user.umask.value_or(022));
  return true;
}

bool change_directory(const ProcessSpec& process) {
  // As the container's user, so its permissions apply.
  if (::chdir(process.cwd.c_str()) != 0) return fail(errno, "chdir to cwd %s", process.cwd.c_str());
  // A cwd outside the root (a leaked directory fd) shows as "(unreachable)..." (CVE-2024-21626).
  char cwd[PATH_MAX];
  if (!::getcwd(cwd, sizeof cwd) || cwd[0] != '/')
    return fail(EPERM, "cwd %s is not inside the container", process.cwd.c_str());
  return true;
}

// PATH lookup inside the container, with the same permission checks execve will make (effective ids and
// capabilities). Done before waiting for `start`, so `create` already reports a missing program.
bool resolve_executable(const InitPlan& plan, ChildState& state) {
  const char* name = plan.argv[0];
  auto check = [&](const char* candidate) -> int {
    struct stat st {};
    if (::stat(candidate, &st) != 0) return errno;
    if (S_ISDIR(st.st_mode)) return EISDIR;
    if (::faccessat(AT_FDCWD, candidate, X_OK, AT_EACCESS) != 0) return errno;
    return 0;
  };
  if (std::strchr(name, '/')) {
    int error = check(name);
    if (error == ENOENT)
      return fail_with_reason(ENOENT, "exec: \"%s\": stat %s: no such file or directory", name, name);
    if (error == EISDIR) return fail_with_reason(EACCES, "exec: \"%s\": is a directory", name);
    if (error) return fail(error, "exec: \"%s\"", name);
    std::snprintf(state.executable, sizeof state.executable, "%s", name);
    return true;
  }
  const char* search = plan.search_path ? plan.search_path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  int denied = 0;
  while (true) {
    const char* end = std::strchr(search, ':');
    size_t length = end ? static_cast<size_t>(end - search) : std::strlen(search);
    int written = length == 0 ? std::snprintf(state.executable, sizeof state.executable, "./%s", name)
                              : std::snprintf(state.executable, sizeof state.executable, "%.*s/%s",
                                              static_cast<int>(length), search, name);
    if (written > 0 && static_cast<size_t>(written) < sizeof state.executable) {
      int error = check(state.executable);
      if (error == 0) return true;
      if (error == EACCES || error == EISDIR) denied = EACCES;
    }
    if (!end) break;
    search = end + 1;
  }
  if (denied) return fail_with_reason(EACCES, "exec: \"%s\": permission denied", name);
  return fail_with_reason(ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
}

// ---- start ----------------------------------------------------------------------------------------------------

bool announce_ready(const InitPlan& plan) {
  if (plan.start_dir_fd < 0) return true;  // run: nobody waits for "ready", we go straight on
  SyncMessage message;
  message.kind = SyncKind::ready;
  if (!send_sync_message(plan.sync_fd, message)) return fail(errno, "tell the runtime we are ready");
  return true;
}

bool wait_for_start(const InitPlan& plan, ChildState& state) {
  if (plan.start_dir_fd < 0) return true;
  // Opening a fifo for writing blocks until a reader opens it: that reader is `start`. From here on failures are
  // reported to it through the fifo; a successful execve closes our end (O_CLOEXEC), which it sees as EOF.
  state.gate_fd = ::openat(plan.start_dir_fd, "exec.fifo", O_WRONLY | O_CLOEXEC);
  if (state.gate_fd < 0) return fail(errno, "open exec.fifo");
  ::close(plan.start_dir_fd);
  return true;
}

[[noreturn]] void exec_program(const InitPlan& plan, ChildState& state) {
  ::execve(state.executable, plan.argv.data(), plan.envp.data());
  int error = errno;
  fail(error, "exec: \"%s\"", plan.argv[0]);
  exit_with_failure(plan, state);
}

// ---- the two sequences ----------------------------------------------------------------------------------------

bool set_up_container_init(const InitPlan& plan, ChildState& state, bool in_cgroup) {
  const RuntimeSpec& spec = *plan.spec;
  const ProcessSpec& process = *plan.process;
  CHILD_STEP(join_cgroup(plan, in_cgroup));
  CHILD_STEP(reset_signal_handling());
  CHILD_STEP(protect_from_inspection());
  CHILD_STEP(install_stdio(plan));
  CHILD_STEP(close_inherited_fds(plan));
  CHILD_STEP(become_session_leader());
  CHILD_STEP(join_namespaces(plan));
  CHILD_STEP(unshare_cgroup_namespace(plan));
  CHILD_STEP(set_oom_score_adj(process));
  CHILD_STEP(set_rlimits(process));
  CHILD_STEP(setup_rootfs(plan, state));
  CHILD_STEP(set_hostname(spec));
  CHILD_STEP(bring_loopback_up(plan));
  CHILD_STEP(apply_sysctls(plan, state));
  CHILD_STEP(setup_console(plan, state));
  CHILD_STEP(mask_paths(spec, state));
  CHILD_STEP(make_paths_read_only(spec, state));
  CHILD_STEP(set_personality(spec));
  CHILD_STEP(set_no_new_privileges(process));
  CHILD_STEP(seccomp_before_dropping_privileges(plan));
  CHILD_STEP(drop_bounding_set(plan));
  CHILD_STEP(switch_user(process));
  CHILD_STEP(set_capabilities(process));
  CHILD_STEP(set_umask(process));
  CHILD_STEP(change_directory(process));
  CHILD_STEP(resolve_executable(plan, state));
  CHILD_STEP(announce_ready(plan));
  CHILD_STEP(wait_for_start(plan, state));
  CHILD_STEP(seccomp_as_late_as_possible(plan));
  return true;
}

bool set_up_exec_process(const InitPlan& plan, ChildState& state) {
  const ProcessSpec& process = *plan.process;
  // Our parent (the intermediate) already joined the container's cgroup and namespaces, including its mount
  // namespace, so "/" is the container's root.
  CHILD_STEP(reset_signal_handling());
  CHILD_STEP(protect_from_inspection());
  CHILD_STEP(install_stdio(plan));
  CHILD_STEP(close_inherited_fds(plan));
  CHILD_STEP(become_session_leader());
  state.root_fd = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (state.root_fd < 0) return fail(errno, "open the container's root");
  CHILD_STEP(set_oom_score_adj(process));
  CHILD_STEP(set_rlimits(process));
  CHILD_STEP(setup_console(plan, state));
  CHILD_STEP(set_personality(*plan.spec));
  CHILD_STEP(set_no_new_privileges(process));
  CHILD_STEP(seccomp_before_dropping_privileges(plan));
  CHILD_STEP(drop_bounding_set(plan));
  CHILD_STEP(switch_user(process));
  CHILD_STEP(set_capabilities(process));
  CHILD_STEP(set_umask(process));
  CHILD_STEP(change_directory(process));
  CHILD_STEP(resolve_executable(plan, state));
  CHILD_STEP(seccomp_as_late_as_possible(plan));
  return true;
}

}  // namespace

void run_child(const InitPlan& plan, bool in_cgroup) {
  ChildState state;
  bool ready = plan.role == ProcessRole::container_init ? set_up_container_init(plan, state, in_cgroup)
                                                        : set_up_exec_process(plan, state);
  if (!ready) exit_with_failure(plan, state);
  exec_program(plan, state);
}

bool join_cgroup_self(const InitPlan& plan) { return join_cgroup(plan, false); }

void report_child_failure(const InitPlan& plan) { exit_with_failure(plan, ChildState{}); }

}  // namespace berth::runtime
