// The container's root file system, in the child before the user's program: propagation, the rootfs bind,
// the spec's mounts in order, device nodes and /dev symlinks, pivot_root, the read-only root, masked and read-only
// paths. Every path inside the rootfs is resolved inside it (child::open_in_container); mounts are attached to fds.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include "engine/runtime/child_steps.h"

namespace berth::runtime::child {
namespace {

// ---- root file system -----------------------------------------------------------------------------------------

bool make_mounts_unshared(const RuntimeSpec& spec) {
  // Nothing we mount may propagate back to the host: every mount in our copy of the host's tree becomes a slave
  // (or private, if the spec asks). This also satisfies pivot_root, which refuses shared mounts.
  unsigned long propagation = MS_SLAVE | MS_REC;
  if (spec.rootfs_propagation & MS_PRIVATE) propagation = MS_PRIVATE | MS_REC;
  if (::mount(nullptr, "/", nullptr, propagation, nullptr) != 0) return fail(errno, "make / a slave mount");
  return true;
}

bool mount_rootfs(const InitPlan& plan, ChildState& state) {
  const RuntimeSpec& spec = *plan.spec;
  if (plan.rootfs_overlay_data) {
    // The overlay's lower dirs are relative to the layer store (keeps the data under a page): mount from there.
    if (::chdir(plan.rootfs_overlay_base) != 0)
      return fail(errno, "chdir %s", plan.rootfs_overlay_base);
    if (::mount("overlay", spec.root_path.c_str(), "overlay", 0, plan.rootfs_overlay_data) != 0)
      return fail(errno, "mount the overlay root at %s", spec.root_path.c_str());
  } else if (::mount(spec.root_path.c_str(), spec.root_path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    // pivot_root needs the new root to be a mount point.
    return fail(errno, "bind the rootfs %s onto itself", spec.root_path.c_str());
  }
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

}  // namespace

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
  CHILD_STEP(mount_rootfs(plan, state));
  CHILD_STEP(perform_mounts(plan, state));
  CHILD_STEP(create_devices(plan, state));
  CHILD_STEP(create_default_symlinks(plan, state));
  CHILD_STEP(pivot_into_rootfs(state));
  CHILD_STEP(set_root_propagation(spec));
  CHILD_STEP(make_root_read_only(spec, state));
  return true;
}

}  // namespace berth::runtime::child
