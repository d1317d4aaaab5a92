// Test helper: tarballs built in memory with libarchive's writer, hostile ones included, and small file helpers.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/fd.h"
#include "core/fs.h"

namespace berth::testing {

struct TarEntry {
  std::string path;
  mode_t type = AE_IFREG;  // AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFBLK, AE_IFIFO
  mode_t permissions = 0644;
  std::string content;      // regular files
  std::string symlink;      // AE_IFLNK target
  std::string hardlink;     // non-empty: a hard link entry to this name
  int64_t uid = 0, gid = 0;
  unsigned rdev_major = 0, rdev_minor = 0;
  int64_t mtime = 1700000000;
  std::map<std::string, std::string> xattrs;
};

inline TarEntry file_entry(std::string path, std::string content, mode_t permissions = 0644) {
  TarEntry entry;
  entry.path = std::move(path);
  entry.content = std::move(content);
  entry.permissions = permissions;
  return entry;
}
inline TarEntry directory_entry(std::string path, mode_t permissions = 0755) {
  TarEntry entry;
  entry.path = std::move(path);
  entry.type = AE_IFDIR;
  entry.permissions = permissions;
  return entry;
}
inline TarEntry symlink_entry(std::string path, std::string target) {
  TarEntry entry;
  entry.path = std::move(path);
  entry.type = AE_IFLNK;
  entry.permissions = 0777;
  entry.symlink = std::move(target);
  return entry;
}
inline TarEntry hardlink_entry(std::string path, std::string target) {
  TarEntry entry;
  entry.path = std::move(path);
  entry.hardlink = std::move(target);
  return entry;
}
inline TarEntry device_entry(std::string path, mode_t type, unsigned major, unsigned minor) {
  TarEntry entry;
  entry.path = std::move(path);
  entry.type = type;
  entry.permissions = 0666;
  entry.rdev_major = major;
  entry.rdev_minor = minor;
  return entry;
}

enum class Compression { none, gzip, zstd, xz, bzip2 };

// The tarball as bytes (pax format, so long names and xattrs survive).
inline std::string build_tar(const std::vector<TarEntry>& entries, Compression compression = Compression::none) {
  std::string output;
  archive* writer = archive_write_new();
  archive_write_set_format_pax_restricted(writer);
  switch (compression) {
    case Compression::none: break;
    case Compression::gzip: archive_write_add_filter_gzip(writer); break;
    case Compression::zstd: archive_write_add_filter_zstd(writer); break;
    case Compression::xz: archive_write_add_filter_xz(writer); break;
    case Compression::bzip2: archive_write_add_filter_bzip2(writer); break;
  }
  archive_write_set_bytes_in_last_block(writer, 1);
  auto write_callback = [](archive*, void* data, const void* buffer, size_t length) -> la_ssize_t {
    static_cast<std::string*>(data)->append(static_cast<const char*>(buffer), length);
    return static_cast<la_ssize_t>(length);
  };
  if (archive_write_open(writer, &output, nullptr, write_callback, nullptr) != ARCHIVE_OK)
    throw std::runtime_error(archive_error_string(writer));
  for (const auto& spec : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, spec.path.c_str());
    archive_entry_set_uid(entry, spec.uid);
    archive_entry_set_gid(entry, spec.gid);
    archive_entry_set_mtime(entry, spec.mtime, 0);
    if (!spec.hardlink.empty()) {
      archive_entry_set_filetype(entry, AE_IFREG);
      archive_entry_set_perm(entry, spec.permissions);
      archive_entry_set_hardlink(entry, spec.hardlink.c_str());
      archive_entry_set_size(entry, 0);
    } else {
      archive_entry_set_filetype(entry, spec.type);
      archive_entry_set_perm(entry, spec.permissions);
      if (spec.type == AE_IFREG) archive_entry_set_size(entry, static_cast<la_int64_t>(spec.content.size()));
      if (spec.type == AE_IFLNK) archive_entry_set_symlink(entry, spec.symlink.c_str());
      if (spec.type == AE_IFCHR || spec.type == AE_IFBLK) {
        archive_entry_set_rdevmajor(entry, spec.rdev_major);
        archive_entry_set_rdevminor(entry, spec.rdev_minor);
      }
    }
    for (const auto& [name, value] : spec.xattrs)
      archive_entry_xattr_add_entry(entry, name.c_str(), value.data(), value.size());
    // ARCHIVE_WARN: a name that is not ASCII in the C locale is written as raw bytes (pax hdrcharset=BINARY).
    if (archive_write_header(writer, entry) < ARCHIVE_WARN) throw std::runtime_error(archive_error_string(writer));
    if (spec.type == AE_IFREG && spec.hardlink.empty() && !spec.content.empty())
      archive_write_data(writer, spec.content.data(), spec.content.size());
    archive_entry_free(entry);
  }
  archive_write_close(writer);
  archive_write_free(writer);
  return output;
}

// One 512-byte ustar header block (name ≤ 100 bytes), checksum included.
inline std::string ustar_header(const std::string& name, char type, size_t size) {
  std::string block(512, '\0');
  auto put = [&](size_t offset, size_t width, const std::string& value) { block.replace(offset, value.size(), value); (void)width; };
  auto octal = [](uint64_t value, int digits) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%0*llo", digits, static_cast<unsigned long long>(value));
    return std::string(buffer);
  };
  put(0, 100, name);
  put(100, 8, octal(0644, 7));
  put(108, 8, octal(0, 7));
  put(116, 8, octal(0, 7));
  put(124, 12, octal(size, 11));
  put(136, 12, octal(1700000000, 11));
  block[156] = type;
  put(257, 6, std::string("ustar\0", 6));
  put(263, 2, "00");
  block.replace(148, 8, "        ");
  unsigned sum = 0;
  for (unsigned char c : block) sum += c;
  put(148, 8, octal(sum, 6) + std::string("\0 ", 2));
  return block;
}

inline std::string pad_block(std::string data) {
  data.resize((data.size() + 511) / 512 * 512, '\0');
  return data;
}

// A file whose real name travels in a pax "path" record in UTF-8, as Go's archive/tar (and so Docker) writes
// non-ASCII names; the ustar name field holds a placeholder.
inline std::string pax_utf8_file_tar(const std::string& utf8_name, const std::string& content) {
  std::string record_body = " path=" + utf8_name + "\n";
  size_t length = record_body.size() + 1;
  while (std::to_string(length).size() + record_body.size() != length) ++length;
  std::string record = std::to_string(length) + record_body;
  std::string tar = ustar_header("PaxHeaders/placeholder", 'x', record.size()) + pad_block(record);
  tar += ustar_header("placeholder", '0', content.size()) + pad_block(content);
  tar += std::string(1024, '\0');
  return tar;
}

// An fd reading `bytes` from the start (a memfd, so it behaves as a file).
inline UniqueFd bytes_fd(const std::string& bytes) {
  UniqueFd fd(memfd_create("tar", MFD_CLOEXEC));
  if (!fd) throw std::runtime_error("memfd_create failed");
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n <= 0) throw std::runtime_error("write memfd failed");
    done += static_cast<size_t>(n);
  }
  ::lseek(fd.get(), 0, SEEK_SET);
  return fd;
}

// A temporary directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    auto made = fs::make_temp_directory("/tmp", "berth-unit-image-");
    if (!made) throw std::runtime_error(made.error().message());
    path_ = *made;
  }
  ~TempDir() {
    // Make directories writable again first: tests create read-only ones, which stop an unprivileged removal.
    ::nftw(
        path_.c_str(),
        [](const char* path, const struct stat* st, int type, FTW*) {
          if (type == FTW_D) ::chmod(path, (st->st_mode & 07777) | S_IRWXU);
          return 0;
        },
        16, FTW_PHYS);
    (void)fs::remove_tree(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline bool lexists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

inline mode_t lmode(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode;
}

}  // namespace berth::testing
