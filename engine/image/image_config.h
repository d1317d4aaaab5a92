// The part of an OCI image config that decides how a container runs ("config" in the image config JSON, see the
// OCI image spec's config.md). Plain data: the image store parses and writes it, the spec builder reads it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth::image {

struct ImageConfig {
  std::string user;                               // "name", "uid", "uid:gid", "name:group"
  std::vector<std::string> env;                   // "KEY=value"
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::string working_dir;
  std::vector<std::string> exposed_ports;         // "80/tcp"
  std::vector<std::string> volumes;               // "/data"
  std::map<std::string, std::string> labels;
  std::string stop_signal;                        // "SIGTERM" when empty
  std::optional<std::vector<std::string>> healthcheck_test;
  // The rest of Docker's Healthcheck object, in nanoseconds as Docker's JSON has them (0 = the default).
  int64_t healthcheck_interval_ns = 0;
  int64_t healthcheck_timeout_ns = 0;
  int64_t healthcheck_start_period_ns = 0;
  int healthcheck_retries = 0;
  bool operator==(const ImageConfig&) const = default;
};

}  // namespace berth::image
