#include "core/paths.h"

#include <cstdlib>

namespace berth {

StateRoot StateRoot::resolve(const std::string& root_override) {
  std::string root = root_override;
  if (root.empty()) {
    if (const char* from_env = std::getenv("BERTH_ROOT"); from_env && *from_env) root = from_env;
  }
  if (root.empty()) return StateRoot{"/var/lib/berth", "/run/berth"};
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  return StateRoot{root + "/lib", root + "/run"};
}

}  // namespace berth
