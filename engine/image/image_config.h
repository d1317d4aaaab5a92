// The part of an OCI image config that decides how a container runs ("config" in the image config JSON, see the
// OCI image spec's config.md). Plain data: the image store parses and writes it, the spec builder reads it.
#pragma once

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
  bool operator==(const ImageConfig&) const = default;
};

}  // namespace berth::image
