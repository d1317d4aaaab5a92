// Internal to engine/image: an owner for libarchive readers and its error text in our style. Included only by .cpp
// files of this module (it pulls in archive.h).
#pragma once

#include <archive.h>

#include <memory>
#include <string>

namespace berth::image {

struct ArchiveReadDeleter {
  void operator()(archive* reader) const { archive_read_free(reader); }
};
using ArchiveReader = std::unique_ptr<archive, ArchiveReadDeleter>;

// libarchive's message with a lower-case start ("Truncated tar archive" → "truncated tar archive"), so that it
// reads as the tail of our one-line errors.
inline std::string archive_message(archive* reader) {
  const char* text = archive_error_string(reader);
  std::string message = text && *text ? text : "unknown archive error";
  if (message.size() > 1 && message[0] >= 'A' && message[0] <= 'Z' && !(message[1] >= 'A' && message[1] <= 'Z'))
    message[0] = static_cast<char>(message[0] - 'A' + 'a');
  return message;
}

}  // namespace berth::image
