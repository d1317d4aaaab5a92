// Short syntax to canonical (long) syntax on the tree, and the defaults the reference fills in (compose-go's
// transform package): ports become one mapping per container port, volumes/devices/secrets/configs mappings,
// depends_on a mapping with condition and required, networks a mapping, env_file a list of {path, required},
// build a mapping with a context, and `external: {name: x}` becomes `name: x, external: true`.
#pragma once

#include <vector>

#include "compose/node.h"
#include "core/result.h"

namespace berth::compose {

struct CanonicalOptions {
  // Values that still hold variables (when interpolation is off) cannot be parsed; keep them as written.
  bool keep_unparsable = false;
  std::vector<std::string>* warnings = nullptr;
};

Result<void> make_canonical(Node& tree, const CanonicalOptions& options = {});

// Defaults for attributes left out: build context ".", secret targets under /run/secrets, port protocol and mode,
// device request counts, create_host_path for binds.
Result<void> set_default_values(Node& tree);

// Drops empty entries where they mean nothing (`dns: ""`).
void omit_empty(Node& tree);

// Most port entries a project may hold after expanding ranges ("1-65535" is 65535 of them): a bound on what a small
// file can make the loader hold in memory.
inline constexpr size_t kMaxPorts = 100000;

}  // namespace berth::compose
