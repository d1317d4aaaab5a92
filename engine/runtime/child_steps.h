// Shared by the child-side files (container_init.cpp, container_rootfs.cpp): the failure record, the state steps
// hand on, and alloc-free helpers for paths inside the container's root. Everything here runs between clone and
// execve, so nothing allocates.
#pragma once

#include <sys/mount.h>
#include <sys/types.h>

#include <climits>
#include <cstddef>

#include "engine/runtime/init_plan.h"

namespace berth::runtime::child {

// Records what failed (errno is captured by the caller, before any other call can clobber it) and returns false,
// so a step can `return fail(errno, "mount %s", path);`. The parent appends strerror(errno).
[[gnu::format(printf, 2, 3)]] bool fail(int error_number, const char* format, ...);
// As fail(), for messages that already say why ("executable file not found in $PATH").
[[gnu::format(printf, 2, 3)]] bool fail_with_reason(int error_number, const char* format, ...);

#define CHILD_STEP(call)       \
  do {                         \
    if (!(call)) return false; \
  } while (0)

// State of the child that steps hand on to later steps.
struct ChildState {
  int root_fd = -1;  // the container's root, after pivot_root "/" itself
  int gate_fd = -1;  // write end of exec.fifo once `start` opened it: later failures go there
  char executable[PATH_MAX] = {};
};

// Sends the recorded failure to whoever waits (the parent over the sync socket, or `start` through the fifo) and
// exits 1.
[[noreturn]] void exit_with_failure(const InitPlan& plan, const ChildState& state);

// openat2 with RESOLVE_IN_ROOT: "..", absolute symlinks and the like stay inside `root_fd`, so nothing an image
// contains (a /dev -> /host symlink, a symlinked mount target) can redirect a step to the host.
int open_in_container(int root_fd, const char* path, int flags, mode_t mode = 0);
// mkdir -p inside the root; an O_PATH fd of the directory, or -1 with errno.
int make_directory_in_root(int root_fd, const char* path);
// An empty file (and its parents) inside the root if missing; an O_PATH fd of it, or -1 with errno.
int make_file_in_root(int root_fd, const char* path);
bool write_all(int fd, const char* data, size_t length);
// Closes `fd` if open and sets it to -1.
void close_fd(int& fd);
// MS_* bits as mount_setattr(2)'s MOUNT_ATTR_* (set and clear).
void mount_flags_to_attributes(unsigned long flags, unsigned long clear_flags, mount_attr& attr);
// Attaches a detached mount tree (open_tree/fsmount) on top of `target_fd`.
bool attach_mount(int tree_fd, int target_fd, const char* shown_target);

// "/proc/self/fd/N", on the stack.
struct FdPath {
  char text[32];
  explicit FdPath(int fd);
};

// The root file system steps (container_rootfs.cpp).
bool setup_rootfs(const InitPlan& plan, ChildState& state);  // mounts, devices, pivot_root, read-only root
bool mask_paths(const RuntimeSpec& spec, const ChildState& state);
bool make_paths_read_only(const RuntimeSpec& spec, const ChildState& state);

}  // namespace berth::runtime::child
