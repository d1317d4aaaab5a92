#include "engine/image/tar_entry.h"

#include <fmt/core.h>

namespace berth::image {

Result<std::vector<std::string>> layer_relative_components(std::string_view entry_name) {
  if (entry_name.empty()) return unexpected(Error("empty entry name"));
  std::vector<std::string> components;
  size_t start = 0;
  while (start <= entry_name.size()) {
    size_t slash = entry_name.find('/', start);
    if (slash == std::string_view::npos) slash = entry_name.size();
    std::string_view component = entry_name.substr(start, slash - start);
    if (component == "..")
      return unexpected(Error(fmt::format("name \"{}\" climbs out of the layer (\"..\" component)", entry_name)));
    if (!component.empty() && component != ".") components.emplace_back(component);
    start = slash + 1;
  }
  return components;
}

Result<Whiteout> classify_whiteout(std::string_view base_name) {
  constexpr std::string_view kPrefix = ".wh.";
  constexpr std::string_view kMetaPrefix = ".wh..wh.";
  constexpr std::string_view kOpaque = ".wh..wh..opq";
  if (!base_name.starts_with(kPrefix)) return Whiteout{};
  if (base_name == kOpaque) return Whiteout{WhiteoutKind::opaque, {}};
  if (base_name.starts_with(kMetaPrefix)) return Whiteout{WhiteoutKind::ignored, {}};
  std::string_view hidden = base_name.substr(kPrefix.size());
  if (hidden.empty() || hidden == "." || hidden == "..")
    return unexpected(Error(fmt::format("invalid whiteout name \"{}\"", base_name)));
  return Whiteout{WhiteoutKind::file, std::string(hidden)};
}

bool is_reserved_xattr(std::string_view name) {
  return name.starts_with("trusted.overlay.") || name.starts_with("user.overlay.");
}

}  // namespace berth::image
