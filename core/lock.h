// Advisory locks (flock) on lock files: the way parallel berth processes take turns on one object. The kernel drops
// a lock when its holder dies, so a killed CLI never leaves a lock behind.
#pragma once

#include <string>

#include "core/fd.h"
#include "core/result.h"

namespace berth {

class FileLock {
 public:
  enum class Kind { shared, exclusive };

  // Blocks until the lock is ours; creates the lock file if needed.
  static Result<FileLock> acquire(const std::string& path, Kind kind = Kind::exclusive);
  // Returns an invalid (empty) lock instead of waiting when somebody else holds it.
  static Result<FileLock> try_acquire(const std::string& path, Kind kind = Kind::exclusive);

  FileLock() = default;
  bool held() const { return fd_.valid(); }
  void release() { fd_.reset(); }

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace berth
