// The second pass of an import: the plain tar into a layer directory. Security critical: everything an entry names
// is resolved below the layer root one component at a time, never following a symlink, so no entry can reach the
// host (compare CVE-2018-15664 and CVE-2019-14271, where extraction followed links planted by the archive).
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "core/fd.h"
#include "core/fs.h"
#include "core/log.h"
#include "engine/image/layer_archive.h"
#include "engine/image/libarchive_util.h"
#include "engine/image/tar_entry.h"

namespace berth::image {
namespace {

std::string join_components(const std::vector<std::string>& components, size_t count) {
  std::string joined;
  for (size_t i = 0; i < count; ++i) {
    if (i) joined += '/';
    joined += components[i];
  }
  return joined;
}

// Mode and times of a directory, applied after all entries: creating children changes a directory's mtime, and a
// read-only directory mode would stop us (when unprivileged) from creating them.
struct DeferredDirectory {
  std::vector<std::string> components;
  mode_t permissions = 0755;
  timespec times[2] = {};
  bool has_times = false;
};

class LayerWriter {
 public:
  LayerWriter(int root_fd, const UnpackOptions& options) : root_fd_(root_fd), options_(options) {}

  Result<void> write_entry(archive* reader, archive_entry* entry, UnpackSummary& summary);
  Result<void> apply_deferred_directories();

 private:
  Result<UniqueFd> open_directory(const std::vector<std::string>& components, size_t count, bool create);
  Result<void> remove_existing(int parent_fd, const std::string& name);
  Result<void> write_whiteout(int parent_fd, const std::string& hidden_name, archive_entry* entry);
  Result<void> write_hard_link(int parent_fd, const std::vector<std::string>& components, const char* target);
  Result<void> write_directory(int parent_fd, const std::vector<std::string>& components, archive_entry* entry);
  Result<void> write_regular_file(int parent_fd, const std::string& name, archive* reader, archive_entry* entry,
                                  UnpackSummary& summary);
  Result<void> write_symlink(int parent_fd, const std::string& name, archive_entry* entry);
  Result<void> write_special_file(int parent_fd, const std::string& name, archive_entry* entry);
  Result<void> apply_ownership_at(int parent_fd, const std::string& name, archive_entry* entry);
  Result<void> apply_xattrs(int fd, int parent_fd, const std::string& name, archive_entry* entry);
  void defer_directory(const std::vector<std::string>& components, archive_entry* entry);

  int root_fd_;
  UnpackOptions options_;
  std::map<std::string, DeferredDirectory> deferred_;
};

timespec entry_mtime(archive_entry* entry) {
  return timespec{archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)};
}

// atime as the archive says, or the mtime when it says nothing (tar usually does not store atime).
void entry_times(archive_entry* entry, timespec times[2]) {
  times[1] = entry_mtime(entry);
  times[0] = archive_entry_atime_is_set(entry) ? timespec{archive_entry_atime(entry), archive_entry_atime_nsec(entry)}
                                               : times[1];
}

Result<UniqueFd> LayerWriter::open_directory(const std::vector<std::string>& components, size_t count, bool create) {
  UniqueFd current(::openat(root_fd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!current) return sys_error("open layer root");
  for (size_t i = 0; i < count; ++i) {
    const std::string& name = components[i];
    int fd = ::openat(current.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
      // Missing parents are made as tar does, 0755; an entry for the directory later sets its real metadata.
      if (::mkdirat(current.get(), name.c_str(), 0755) != 0 && errno != EEXIST)
        return sys_error(fmt::format("mkdir {}", join_components(components, i + 1)));
      fd = ::openat(current.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      int saved = errno;
      struct stat st {};
      if (::fstatat(current.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
        return unexpected(Error(
            fmt::format("parent {} is a symbolic link (refusing to write through it)", join_components(components, i + 1)),
            ELOOP));
      if (saved == ENOTDIR)
        return unexpected(Error(fmt::format("parent {} is not a directory", join_components(components, i + 1)), ENOTDIR));
      return sys_error(fmt::format("open {}", join_components(components, i + 1)), saved);
    }
    current.reset(fd);
  }
  return current;
}

// Later entries replace earlier ones, as with tar: whatever is at `name` goes (a directory with its contents).
Result<void> LayerWriter::remove_existing(int parent_fd, const std::string& name) {
  struct stat st {};
  if (::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return sys_error(fmt::format("stat {}", name));
  }
  if (S_ISDIR(st.st_mode)) return fs::remove_tree(fs::join(fs::fd_path(parent_fd), name));
  if (::unlinkat(parent_fd, name.c_str(), 0) != 0 && errno != ENOENT) return sys_error(fmt::format("unlink {}", name));
  return {};
}

Result<void> LayerWriter::apply_ownership_at(int parent_fd, const std::string& name, archive_entry* entry) {
  if (!options_.privileged) return {};
  auto uid = static_cast<uid_t>(archive_entry_uid(entry));
  auto gid = static_cast<gid_t>(archive_entry_gid(entry));
  if (::fchownat(parent_fd, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
    return sys_error(fmt::format("chown {} to {}:{}", name, uid, gid));
  return {};
}

// Set after chown (which clears security.capability) and after the data is written (so is a write).
Result<void> LayerWriter::apply_xattrs(int fd, int parent_fd, const std::string& name, archive_entry* entry) {
  if (archive_entry_xattr_reset(entry) == 0) return {};
  const char* key = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  while (archive_entry_xattr_next(entry, &key, &value, &size) == ARCHIVE_OK) {
    std::string_view xattr(key);
    if (is_reserved_xattr(xattr)) {
      log::debug("layer entry {}: dropping reserved xattr {}", name, xattr);
      continue;
    }
    int status = fd >= 0 ? ::fsetxattr(fd, key, value, size, 0)
                         : ::lsetxattr(fs::join(fs::fd_path(parent_fd), name).c_str(), key, value, size, 0);
    if (status == 0) continue;
    int saved = errno;
    bool unsupported = saved == ENOTSUP || saved == EOPNOTSUPP;
    // Without privilege trusted.* and security.* cannot be written: keep what we can, as tar does. As root the
    // loss of security.capability would silently break binaries such as ping, so that one is an error.
    if (unsupported || (!options_.privileged && saved == EPERM) ||
        (options_.privileged && xattr != "security.capability" && saved == EPERM)) {
      log::debug("layer entry {}: cannot set xattr {}: {}", name, xattr, std::strerror(saved));
      continue;
    }
    return sys_error(fmt::format("set xattr {} on {}", xattr, name), saved);
  }
  return {};
}

void LayerWriter::defer_directory(const std::vector<std::string>& components, archive_entry* entry) {
  DeferredDirectory directory;
  directory.components = components;
  directory.permissions = archive_entry_perm(entry);
  if (archive_entry_mtime_is_set(entry)) {
    entry_times(entry, directory.times);
    directory.has_times = true;
  }
  deferred_[join_components(components, components.size())] = std::move(directory);
}

Result<void> LayerWriter::write_whiteout(int parent_fd, const std::string& hidden_name, archive_entry* entry) {
  BERTH_TRY(remove_existing(parent_fd, hidden_name));
  // overlayfs' whiteout: a character device 0:0. Linux ≥ 5.8 lets unprivileged users make exactly this one.
  if (::mknodat(parent_fd, hidden_name.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0)
    return sys_error(fmt::format("mknod whiteout {}", hidden_name));
  return apply_ownership_at(parent_fd, hidden_name, entry);
}

Result<void> LayerWriter::write_hard_link(int parent_fd, const std::vector<std::string>& components,
                                          const char* target) {
  auto target_components = BERTH_TRY_CONTEXT(layer_relative_components(target), "hard link target");
  if (target_components.empty()) return unexpected(Error("hard link to the layer root"));
  if (target_components == components) return {};  // a link to itself: nothing to do
  // The target is resolved like any entry name, so it cannot be outside the layer or behind a symlinked parent.
  // linkat without AT_SYMLINK_FOLLOW links a symlink itself, never what it points to.
  auto target_parent = BERTH_TRY_CONTEXT(open_directory(target_components, target_components.size() - 1, false),
                                         fmt::format("hard link target {}", target));
  const std::string& name = components.back();
  BERTH_TRY(remove_existing(parent_fd, name));
  if (::linkat(target_parent.get(), target_components.back().c_str(), parent_fd, name.c_str(), 0) != 0)
    return sys_error(fmt::format("hard link to {}", target));
  return {};
}

Result<void> LayerWriter::write_directory(int parent_fd, const std::vector<std::string>& components,
                                          archive_entry* entry) {
  const std::string& name = components.back();
  struct stat st {};
  bool is_directory = ::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
  if (!is_directory) {
    BERTH_TRY(remove_existing(parent_fd, name));
    if (::mkdirat(parent_fd, name.c_str(), 0700) != 0) return sys_error(fmt::format("mkdir {}", name));
  }
  UniqueFd directory(::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!directory) return sys_error(fmt::format("open {}", name));
  if (options_.privileged &&
      ::fchown(directory.get(), static_cast<uid_t>(archive_entry_uid(entry)),
               static_cast<gid_t>(archive_entry_gid(entry))) != 0)
    return sys_error(fmt::format("chown {}", name));
  BERTH_TRY(apply_xattrs(directory.get(), parent_fd, name, entry));
  defer_directory(components, entry);
  return {};
}

Result<void> LayerWriter::write_regular_file(int parent_fd, const std::string& name, archive* reader,
                                             archive_entry* entry, UnpackSummary& summary) {
  BERTH_TRY(remove_existing(parent_fd, name));
  // O_EXCL|O_NOFOLLOW: we just removed the name, so anything there now is not ours to write through.
  UniqueFd file(::openat(parent_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!file) return sys_error(fmt::format("create {}", name));
  for (;;) {
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int status = archive_read_data_block(reader, &block, &size, &offset);
    if (status == ARCHIVE_EOF) break;
    if (status < ARCHIVE_WARN) return unexpected(Error(archive_message(reader)));
    const char* data = static_cast<const char*>(block);
    while (size > 0) {  // pwrite at the block's offset keeps the holes of sparse entries
      ssize_t written = ::pwrite(file.get(), data, size, offset);
      if (written < 0) {
        if (errno == EINTR) continue;
        return sys_error(fmt::format("write {}", name));
      }
      data += written;
      offset += written;
      size -= static_cast<size_t>(written);
    }
  }
  auto length = archive_entry_size(entry);
  if (length > 0 && ::ftruncate(file.get(), length) != 0) return sys_error(fmt::format("truncate {}", name));
  summary.content_bytes += static_cast<uint64_t>(length > 0 ? length : 0);
  if (options_.privileged && ::fchown(file.get(), static_cast<uid_t>(archive_entry_uid(entry)),
                                      static_cast<gid_t>(archive_entry_gid(entry))) != 0)
    return sys_error(fmt::format("chown {}", name));
  BERTH_TRY(apply_xattrs(file.get(), parent_fd, name, entry));
  // fchmod after chown: chown clears set-user-ID and set-group-ID bits.
  if (::fchmod(file.get(), archive_entry_perm(entry)) != 0) return sys_error(fmt::format("chmod {}", name));
  timespec times[2];
  entry_times(entry, times);
  if (archive_entry_mtime_is_set(entry) && ::futimens(file.get(), times) != 0)
    return sys_error(fmt::format("set times of {}", name));
  return {};
}

Result<void> LayerWriter::write_symlink(int parent_fd, const std::string& name, archive_entry* entry) {
  const char* target = archive_entry_symlink(entry);
  if (!target) target = archive_entry_symlink_utf8(entry);
  if (!target || !*target) return unexpected(Error("symbolic link without a target"));
  BERTH_TRY(remove_existing(parent_fd, name));
  // The target is data: it is never resolved here, only later inside the container's own root.
  if (::symlinkat(target, parent_fd, name.c_str()) != 0) return sys_error(fmt::format("symlink {}", name));
  BERTH_TRY(apply_ownership_at(parent_fd, name, entry));
  timespec times[2];
  entry_times(entry, times);
  if (archive_entry_mtime_is_set(entry) && ::utimensat(parent_fd, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
    return sys_error(fmt::format("set times of {}", name));
  return {};
}

Result<void> LayerWriter::write_special_file(int parent_fd, const std::string& name, archive_entry* entry) {
  BERTH_TRY(remove_existing(parent_fd, name));
  mode_t type = archive_entry_filetype(entry);
  dev_t device = type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(entry), archive_entry_rdevminor(entry));
  if (::mknodat(parent_fd, name.c_str(), type | 0600, device) != 0) return sys_error(fmt::format("mknod {}", name));
  BERTH_TRY(apply_ownership_at(parent_fd, name, entry));
  BERTH_TRY(apply_xattrs(-1, parent_fd, name, entry));
  // fchmodat follows a symlink, but the name is the node we just made in a directory only we write.
  if (::fchmodat(parent_fd, name.c_str(), archive_entry_perm(entry), 0) != 0)
    return sys_error(fmt::format("chmod {}", name));
  timespec times[2];
  entry_times(entry, times);
  if (archive_entry_mtime_is_set(entry) && ::utimensat(parent_fd, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
    return sys_error(fmt::format("set times of {}", name));
  return {};
}

Result<void> LayerWriter::write_entry(archive* reader, archive_entry* entry, UnpackSummary& summary) {
  const char* raw_name = archive_entry_pathname(entry);
  if (!raw_name) raw_name = archive_entry_pathname_utf8(entry);
  if (!raw_name) return unexpected(Error("entry name cannot be decoded"));
  auto components = BERTH_TRY(layer_relative_components(raw_name));
  const char* hard_link = archive_entry_hardlink(entry);
  if (!hard_link) hard_link = archive_entry_hardlink_utf8(entry);
  mode_t type = archive_entry_filetype(entry);

  if (components.empty()) {  // "./" itself: the metadata of the layer root
    if (hard_link || type != AE_IFDIR) return unexpected(Error("the layer root must be a directory"));
    if (options_.privileged && ::fchown(root_fd_, static_cast<uid_t>(archive_entry_uid(entry)),
                                        static_cast<gid_t>(archive_entry_gid(entry))) != 0)
      return sys_error("chown layer root");
    BERTH_TRY(apply_xattrs(root_fd_, -1, ".", entry));
    defer_directory(components, entry);
    return {};
  }

  auto whiteout = BERTH_TRY(classify_whiteout(components.back()));
  if (whiteout.kind == WhiteoutKind::ignored) {
    ++summary.skipped;
    return {};
  }
  auto parent = BERTH_TRY(open_directory(components, components.size() - 1, true));
  const std::string& name = components.back();

  if (whiteout.kind == WhiteoutKind::opaque) {
    const char* attribute = options_.privileged ? "trusted.overlay.opaque" : "user.overlay.opaque";
    if (::fsetxattr(parent.get(), attribute, "y", 1, 0) != 0)
      return sys_error(fmt::format("set {} on {}", attribute, join_components(components, components.size() - 1)));
    return {};
  }
  if (whiteout.kind == WhiteoutKind::file) return write_whiteout(parent.get(), whiteout.hidden_name, entry);
  if (hard_link) return write_hard_link(parent.get(), components, hard_link);

  switch (type) {
    case AE_IFDIR:
      return write_directory(parent.get(), components, entry);
    case AE_IFREG:
      return write_regular_file(parent.get(), name, reader, entry, summary);
    case AE_IFLNK:
      return write_symlink(parent.get(), name, entry);
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
      if (!options_.privileged) {  // as docker's rootless mode: devices need CAP_MKNOD, fifos follow them
        log::debug("layer entry {}: device or fifo skipped without privilege", raw_name);
        ++summary.skipped;
        return {};
      }
      return write_special_file(parent.get(), name, entry);
    case AE_IFSOCK:
      ++summary.skipped;  // a socket is bound by a process, not unpacked
      return {};
    default:
      return unexpected(Error(fmt::format("unsupported entry type {:o}", type)));
  }
}

Result<void> LayerWriter::apply_deferred_directories() {
  // Reverse order of paths: children before their parents, so setting a child's times leaves the parent's alone.
  for (auto it = deferred_.rbegin(); it != deferred_.rend(); ++it) {
    const DeferredDirectory& directory = it->second;
    auto opened = open_directory(directory.components, directory.components.size(), false);
    if (!opened) continue;  // a later entry replaced this directory with something else
    if (::fchmod(opened->get(), directory.permissions) != 0) return sys_error(fmt::format("chmod {}", it->first));
    if (directory.has_times && ::futimens(opened->get(), directory.times) != 0)
      return sys_error(fmt::format("set times of {}", it->first));
  }
  return {};
}

}  // namespace

Result<UnpackSummary> unpack_layer(int tar_fd, int root_fd, const UnpackOptions& options) {
  ArchiveReader reader(archive_read_new());
  if (!reader) return unexpected(Error("archive_read_new: out of memory"));
  archive* a = reader.get();
  archive_read_support_format_tar(a);  // ustar, pax and GNU tar; never zip, cpio or anything else
  if (archive_read_open_fd(a, tar_fd, 1 << 16) != ARCHIVE_OK) return unexpected(Error(archive_message(a)));

  LayerWriter writer(root_fd, options);
  UnpackSummary summary;
  for (;;) {
    archive_entry* entry = nullptr;
    int status = archive_read_next_header(a, &entry);
    if (status == ARCHIVE_EOF) break;
    if (status < ARCHIVE_WARN) {
      if (summary.entries == 0) return unexpected(Error(archive_message(a)));
      return unexpected(Error(fmt::format("{} (after {} entries)", archive_message(a), summary.entries)));
    }
    la_int64_t position = archive_read_header_position(a);  // where this entry's header starts
    if (status == ARCHIVE_WARN) log::debug("layer tar at byte {}: {}", position, archive_message(a));
    ++summary.entries;
    auto written = writer.write_entry(a, entry, summary);
    if (!written) {
      const char* name = archive_entry_pathname(entry);
      if (!name) name = archive_entry_pathname_utf8(entry);
      return std::move(written).error().wrap(fmt::format("entry \"{}\" (byte {})", name ? name : "?", position));
    }
  }
  BERTH_TRY(writer.apply_deferred_directories());
  return summary;
}

}  // namespace berth::image
