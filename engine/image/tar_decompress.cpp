// The first pass of an import: any supported compression to the plain tar that becomes the layer blob.
#include <archive.h>
#include <archive_entry.h>
#include <fmt/core.h>
#include <unistd.h>

#include <memory>

#include "core/digest.h"
#include "engine/image/layer_archive.h"
#include "engine/image/libarchive_util.h"

namespace berth::image {
namespace {

constexpr size_t kBufferSize = 1 << 16;

// Our own read callback (instead of archive_read_open_fd) to tell an empty input from garbage, and to keep the
// errno of a failed read.
struct CountingInput {
  int fd;
  std::unique_ptr<char[]> buffer;
  uint64_t bytes = 0;
  int read_errno = 0;

  static la_ssize_t read(archive* reader, void* data, const void** block) {
    auto* input = static_cast<CountingInput*>(data);
    for (;;) {
      ssize_t n = ::read(input->fd, input->buffer.get(), kBufferSize);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        input->read_errno = errno;
        archive_set_error(reader, errno, "read failed");
        return -1;
      }
      input->bytes += static_cast<uint64_t>(n);
      *block = input->buffer.get();
      return n;
    }
  }
};

}  // namespace

Result<DecompressedTar> decompress_tar(int input_fd, int output_fd) {
  ArchiveReader reader(archive_read_new());
  if (!reader) return unexpected(Error("archive_read_new: out of memory"));
  archive* a = reader.get();
  // Explicit list: archive_read_support_filter_all() would also accept lrzip/lzop/grzip through external programs.
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_bzip2(a);
  archive_read_support_filter_xz(a);
  archive_read_support_filter_lzma(a);
  archive_read_support_filter_zstd(a);
  archive_read_support_format_raw(a);
  CountingInput input{input_fd, std::make_unique<char[]>(kBufferSize)};
  if (archive_read_open(a, &input, nullptr, CountingInput::read, nullptr) != ARCHIVE_OK) {
    if (input.read_errno) return sys_error("read", input.read_errno);
    if (input.bytes == 0) return unexpected(Error("empty archive"));
    return unexpected(Error(archive_message(a)));
  }
  archive_entry* entry = nullptr;
  int status = archive_read_next_header(a, &entry);
  if (input.read_errno) return sys_error("read", input.read_errno);
  // libarchive calls an empty input an unrecognized format; say what it is.
  if (status == ARCHIVE_EOF || input.bytes == 0) return unexpected(Error("empty archive"));
  if (status < ARCHIVE_WARN) return unexpected(Error(archive_message(a)));

  Sha256 hasher;
  DecompressedTar result;
  auto buffer = std::make_unique<char[]>(kBufferSize);
  for (;;) {
    la_ssize_t n = archive_read_data(a, buffer.get(), kBufferSize);
    if (n < 0 && input.read_errno) return sys_error("read", input.read_errno);
    if (n < 0) return unexpected(Error(fmt::format("{} (at byte {} of the uncompressed stream)", archive_message(a),
                                                   result.size)));
    if (n == 0) break;
    const char* data = buffer.get();
    size_t left = static_cast<size_t>(n);
    while (left > 0) {
      ssize_t written = ::write(output_fd, data, left);
      if (written < 0) {
        if (errno == EINTR) continue;
        return sys_error("write layer blob");
      }
      data += written;
      left -= static_cast<size_t>(written);
    }
    hasher.update(buffer.get(), static_cast<size_t>(n));
    result.size += static_cast<uint64_t>(n);
  }
  if (result.size == 0) return unexpected(Error("empty archive"));
  result.diff_id = "sha256:" + hasher.finish_hex();
  return result;
}

}  // namespace berth::image
