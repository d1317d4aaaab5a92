#include "engine/container/usage.h"

#include <nlohmann/json.hpp>

#include "core/fs.h"

namespace berth::container {

Result<std::set<std::string>> images_in_use(const StateRoot& state) {
  std::set<std::string> images;
  auto ids = BERTH_TRY(fs::list_directory(state.containers()));
  for (const auto& id : ids) {
    auto record = fs::read_file(fs::join(fs::join(state.containers(), id), "container.json"));
    if (!record) continue;  // a half-made container directory: nothing uses an image through it yet
    auto parsed = nlohmann::json::parse(*record, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) continue;
    if (auto image = parsed.find("Image"); image != parsed.end() && image->is_string())
      images.insert(image->get<std::string>());
  }
  return images;
}

}  // namespace berth::container
