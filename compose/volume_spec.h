// The short syntax of service volumes ("./data:/data:ro", "cache:/tmp/cache:nocopy", "/var/lib/x"), read as
// compose-go's format.ParseVolume reads it.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace berth::compose {

struct VolumeSpec {
  std::string type;    // "bind" for host paths (starting with '.', '/' or '~'), "volume" otherwise
  std::string source;  // empty for anonymous volumes
  std::string target;
  bool read_only = false;
  bool has_bind = false;  // a bind section exists (bind mounts, or propagation/SELinux options given)
  std::string bind_propagation;
  std::string bind_selinux;
  bool bind_create_host_path = false;  // the short syntax creates a missing host path, for docker-compose v1's sake
  bool has_volume = false;             // a volume section exists
  bool volume_nocopy = false;
};

Result<VolumeSpec> parse_volume_spec(std::string_view spec);

}  // namespace berth::compose
