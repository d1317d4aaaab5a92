// Container logs in Docker's json-file format: one JSON object per line,
//   {"log":"hello\n","stream":"stdout","time":"2026-11-24T15:22:28.123456789Z"}
// rotated by size (<id>-json.log, then .1, .2 ... oldest last), so `docker logs` habits and tools carry over.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/fd.h"
#include "core/result.h"

namespace berth::container {

struct LogEntry {
  std::string stream;  // "stdout" | "stderr"
  std::string time;    // RFC 3339 nano
  std::string text;    // the bytes, line end included when there was one
};

// One line of the log file (pure; unit-tested).
std::string encode_log_entry(std::string_view stream, std::string_view time, std::string_view text);
std::optional<LogEntry> decode_log_entry(std::string_view line);

struct LogRotation {
  uint64_t max_size = 10 * 1024 * 1024;  // --log-opt max-size (0: never rotate)
  int max_files = 3;                     // --log-opt max-file: files kept, the current one included
};
Result<LogRotation> parse_log_options(const std::vector<std::pair<std::string, std::string>>& options);

// Appends entries, splitting the container's output into lines (a partial line is written when its buffer fills
// or when the stream ends), and rotates by size.
class LogWriter {
 public:
  static Result<LogWriter> open(std::string path, LogRotation rotation);
  void write(std::string_view stream, std::string_view bytes);  // never fails the container: errors are counted
  void flush();                                                 // partial lines out
  int errors() const { return errors_; }

 private:
  LogWriter(std::string path, LogRotation rotation, UniqueFd fd, uint64_t size)
      : path_(std::move(path)), rotation_(rotation), fd_(std::move(fd)), size_(size) {}
  void emit(std::string_view stream, std::string_view text);
  void rotate();
  std::string path_;
  LogRotation rotation_;
  UniqueFd fd_;
  uint64_t size_ = 0;
  std::string pending_stdout_, pending_stderr_;
  int errors_ = 0;
};

struct LogReadOptions {
  std::optional<size_t> tail;  // last N lines (over all files)
  bool timestamps = false;
  std::string since, until;    // RFC 3339 bounds (inclusive), empty = unbounded
};

// Every entry of the current and rotated files, oldest first, filtered.
Result<std::vector<LogEntry>> read_log(const std::string& path, const LogReadOptions& options);

// Prints entries (stdout entries to `out_fd`, stderr to `err_fd`), then, while `still_running()` says so, follows
// the file for new entries (including across a rotation) until the writer is done.
Result<void> print_log(const std::string& path, const LogReadOptions& options, bool follow,
                       const std::function<bool()>& still_running, int out_fd, int err_fd);

}  // namespace berth::container
