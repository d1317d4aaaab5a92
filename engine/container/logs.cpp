#include "engine/container/logs.h"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <poll.h>
#include <unistd.h>

#include <fmt/core.h>

#include "core/fs.h"
#include "core/text.h"

namespace berth::container {
namespace {

constexpr size_t kMaxLine = 16 * 1024;  // Docker splits longer lines the same way

void append_json_string(std::string& out, std::string_view value) {
  out.push_back('"');
  for (unsigned char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) out += fmt::format("\\u{:04x}", c);
        else out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
}

// Reads a JSON string starting at `position` (on the opening quote). Accepts what append_json_string writes plus
// \uXXXX escapes of other writers (encoded back to UTF-8).
std::optional<std::string> read_json_string(std::string_view line, size_t& position) {
  if (position >= line.size() || line[position] != '"') return std::nullopt;
  std::string value;
  for (++position; position < line.size(); ++position) {
    char c = line[position];
    if (c == '"') {
      ++position;
      return value;
    }
    if (c != '\\') {
      value.push_back(c);
      continue;
    }
    if (++position >= line.size()) return std::nullopt;
    switch (line[position]) {
      case 'n': value.push_back('\n'); break;
      case 'r': value.push_back('\r'); break;
      case 't': value.push_back('\t'); break;
      case 'b': value.push_back('\b'); break;
      case 'f': value.push_back('\f'); break;
      case '/': value.push_back('/'); break;
      case '\\': value.push_back('\\'); break;
      case '"': value.push_back('"'); break;
      case 'u': {
        if (position + 4 >= line.size()) return std::nullopt;
        unsigned code = static_cast<unsigned>(std::stoul(std::string(line.substr(position + 1, 4)), nullptr, 16));
        position += 4;
        if (code < 0x80) {
          value.push_back(static_cast<char>(code));
        } else if (code < 0x800) {
          value.push_back(static_cast<char>(0xc0 | (code >> 6)));
          value.push_back(static_cast<char>(0x80 | (code & 0x3f)));
        } else {
          value.push_back(static_cast<char>(0xe0 | (code >> 12)));
          value.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
          value.push_back(static_cast<char>(0x80 | (code & 0x3f)));
        }
        break;
      }
      default: return std::nullopt;
    }
  }
  return std::nullopt;
}

std::vector<std::string> log_files_oldest_first(const std::string& path) {
  std::vector<std::string> files;
  for (int index = 64; index >= 1; --index) {
    std::string rotated = fmt::format("{}.{}", path, index);
    if (fs::exists(rotated)) files.push_back(rotated);
  }
  files.push_back(path);
  return files;
}

bool in_range(const LogEntry& entry, const LogReadOptions& options) {
  if (!options.since.empty() && entry.time < options.since) return false;
  if (!options.until.empty() && entry.time > options.until) return false;
  return true;
}

Result<void> write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("write log output");
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<void> print_entry(const LogEntry& entry, const LogReadOptions& options, int out_fd, int err_fd) {
  int fd = entry.stream == "stderr" ? err_fd : out_fd;
  if (options.timestamps) return write_all(fd, entry.time + " " + entry.text);
  return write_all(fd, entry.text);
}

}  // namespace

std::string encode_log_entry(std::string_view stream, std::string_view time, std::string_view text) {
  std::string line;
  line.reserve(text.size() + 80);
  line += "{\"log\":";
  append_json_string(line, text);
  line += ",\"stream\":";
  append_json_string(line, stream);
  line += ",\"time\":";
  append_json_string(line, time);
  line += "}\n";
  return line;
}

std::optional<LogEntry> decode_log_entry(std::string_view line) {
  LogEntry entry;
  size_t position = 0;
  auto skip_space = [&] {
    while (position < line.size() && (line[position] == ' ' || line[position] == '\t')) ++position;
  };
  skip_space();
  if (position >= line.size() || line[position++] != '{') return std::nullopt;
  for (;;) {
    skip_space();
    if (position < line.size() && line[position] == '}') break;
    auto key = read_json_string(line, position);
    if (!key) return std::nullopt;
    skip_space();
    if (position >= line.size() || line[position++] != ':') return std::nullopt;
    skip_space();
    auto value = read_json_string(line, position);
    if (!value) return std::nullopt;
    if (*key == "log") entry.text = std::move(*value);
    else if (*key == "stream") entry.stream = std::move(*value);
    else if (*key == "time") entry.time = std::move(*value);
    skip_space();
    if (position < line.size() && line[position] == ',') {
      ++position;
      continue;
    }
    if (position < line.size() && line[position] == '}') break;
    return std::nullopt;
  }
  if (entry.stream.empty()) return std::nullopt;
  return entry;
}

Result<LogRotation> parse_log_options(const std::vector<std::pair<std::string, std::string>>& options) {
  LogRotation rotation;
  for (const auto& [key, value] : options) {
    if (key == "max-size") {
      auto bytes = text::parse_byte_size(value);
      if (!bytes || *bytes < 0) return unexpected(Error(fmt::format("invalid log option max-size: {}", value)));
      rotation.max_size = static_cast<uint64_t>(*bytes);
    } else if (key == "max-file") {
      int files = 0;
      try {
        files = std::stoi(value);
      } catch (...) {
        files = 0;
      }
      if (files < 1) return unexpected(Error(fmt::format("invalid log option max-file: {}", value)));
      rotation.max_files = files;
    } else {
      return unexpected(Error(fmt::format("unknown log opt '{}' for json-file log driver", key)));
    }
  }
  return rotation;
}

Result<LogWriter> LogWriter::open(std::string path, LogRotation rotation) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (!fd) return sys_error(fmt::format("open log {}", path));
  struct stat st {};
  ::fstat(fd.get(), &st);
  return LogWriter(std::move(path), rotation, std::move(fd), static_cast<uint64_t>(st.st_size));
}

void LogWriter::emit(std::string_view stream, std::string_view text) {
  std::string line = encode_log_entry(stream, text::now_rfc3339_nano(), text);
  if (rotation_.max_size > 0 && size_ > 0 && size_ + line.size() > rotation_.max_size) rotate();
  if (!fd_ || !write_all(fd_.get(), line)) {
    ++errors_;
    return;
  }
  size_ += line.size();
}

void LogWriter::rotate() {
  fd_.reset();
  if (rotation_.max_files <= 1) {
    ::truncate(path_.c_str(), 0);
  } else {
    ::unlink(fmt::format("{}.{}", path_, rotation_.max_files - 1).c_str());
    for (int index = rotation_.max_files - 2; index >= 1; --index)
      ::rename(fmt::format("{}.{}", path_, index).c_str(), fmt::format("{}.{}", path_, index + 1).c_str());
    ::rename(path_.c_str(), fmt::format("{}.1", path_).c_str());
  }
  fd_.reset(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  size_ = 0;
}

void LogWriter::write(std::string_view stream, std::string_view bytes) {
  std::string& pending = stream == "stderr" ? pending_stderr_ : pending_stdout_;
  pending.append(bytes);
  size_t start = 0;
  for (;;) {
    size_t newline = pending.find('\n', start);
    if (newline == std::string::npos) break;
    emit(stream, std::string_view(pending).substr(start, newline + 1 - start));
    start = newline + 1;
  }
  pending.erase(0, start);
  while (pending.size() >= kMaxLine) {
    emit(stream, std::string_view(pending).substr(0, kMaxLine));
    pending.erase(0, kMaxLine);
  }
}

void LogWriter::flush() {
  if (!pending_stdout_.empty()) emit("stdout", pending_stdout_);
  if (!pending_stderr_.empty()) emit("stderr", pending_stderr_);
  pending_stdout_.clear();
  pending_stderr_.clear();
}

Result<std::vector<LogEntry>> read_log(const std::string& path, const LogReadOptions& options) {
  std::vector<LogEntry> entries;
  for (const auto& file : log_files_oldest_first(path)) {
    auto content = fs::read_file(file);
    if (!content) {
      if (content.error().errno_value() == ENOENT) continue;  // rotated away while we read
      return content.error();
    }
    size_t start = 0;
    while (start < content->size()) {
      size_t end = content->find('\n', start);
      if (end == std::string::npos) break;  // a line being written right now: next time
      auto entry = decode_log_entry(std::string_view(*content).substr(start, end - start));
      if (entry && in_range(*entry, options)) entries.push_back(std::move(*entry));
      start = end + 1;
    }
  }
  if (options.tail && entries.size() > *options.tail)
    entries.erase(entries.begin(), entries.end() - static_cast<std::ptrdiff_t>(*options.tail));
  return entries;
}

Result<void> print_log(const std::string& path, const LogReadOptions& options, bool follow,
                       const std::function<bool()>& still_running, int out_fd, int err_fd) {
  // Follow by inotify on the directory (catches writes and the rename of a rotation), reading the current file from
  // where we stopped.
  UniqueFd notify;
  if (follow) {
    notify.reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    auto slash = path.find_last_of('/');
    std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
    if (notify) ::inotify_add_watch(notify.get(), dir.c_str(), IN_MODIFY | IN_CREATE | IN_MOVED_TO);
  }
  auto entries = BERTH_TRY(read_log(path, options));
  for (const auto& entry : entries) BERTH_TRY(print_entry(entry, options, out_fd, err_fd));
  if (!follow) return {};

  struct stat st {};
  UniqueFd current(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  ino_t inode = 0;
  off_t offset = 0;
  if (current && ::fstat(current.get(), &st) == 0) {
    inode = st.st_ino;
    offset = st.st_size;
  }
  std::string partial;
  LogReadOptions unlimited = options;
  unlimited.tail.reset();
  auto drain = [&]() -> Result<void> {
    if (!current) {
      current.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
      offset = 0;
      if (!current) return {};
      if (::fstat(current.get(), &st) == 0) inode = st.st_ino;
    }
    char buffer[65536];
    for (;;) {
      ssize_t n = ::pread(current.get(), buffer, sizeof buffer, offset);
      if (n <= 0) break;
      offset += n;
      partial.append(buffer, static_cast<size_t>(n));
    }
    size_t start = 0;
    for (;;) {
      size_t end = partial.find('\n', start);
      if (end == std::string::npos) break;
      auto entry = decode_log_entry(std::string_view(partial).substr(start, end - start));
      if (entry && in_range(*entry, unlimited)) BERTH_TRY(print_entry(*entry, options, out_fd, err_fd));
      start = end + 1;
    }
    partial.erase(0, start);
    // Rotated: the path now names a new file; finish the old one (done above) and switch.
    struct stat now {};
    if (::stat(path.c_str(), &now) == 0 && now.st_ino != inode) {
      current.reset();
      partial.clear();
    }
    return {};
  };
  for (;;) {
    BERTH_TRY(drain());
    if (!still_running()) {
      BERTH_TRY(drain());
      return {};
    }
    pollfd pfd{notify.get(), POLLIN, 0};
    ::poll(&pfd, notify ? 1 : 0, 200);
    char events[4096];
    while (notify && ::read(notify.get(), events, sizeof events) > 0) {
    }
  }
}

}  // namespace berth::container
