#include "compose/paths.h"

#include <cctype>
#include <vector>

#include "compose/diagnostic.h"
#include "compose/tree_path.h"

namespace berth::compose {

std::string clean_path(std::string_view path) {
  if (path.empty()) return ".";
  bool rooted = path[0] == '/';
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t slash = path.find('/', i);
    std::string_view part = path.substr(i, slash == std::string_view::npos ? std::string_view::npos : slash - i);
    i = slash == std::string_view::npos ? path.size() : slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string out = rooted ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k) out += '/';
    out += parts[k];
  }
  if (out.empty()) return ".";
  return out;
}

std::string join_path(std::string_view base, std::string_view relative) {
  if (base.empty() && relative.empty()) return "";
  if (base.empty()) return clean_path(relative);
  if (relative.empty()) return clean_path(base);
  std::string joined(base);
  joined += '/';
  joined += relative;
  return clean_path(joined);
}

std::string expand_user(std::string_view path, std::string_view home) {
  if (path.empty() || path[0] != '~' || home.empty()) return std::string(path);
  return join_path(home, path.substr(1));
}

std::string parent_directory(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return clean_path(path.substr(0, slash));
}

bool is_remote_context(std::string_view context) {
  if (context.find("://") != std::string_view::npos) return true;
  if (context.substr(0, 8) == "service:") return true;
  for (std::string_view prefix : {"github.com/", "git@"})
    if (context.substr(0, prefix.size()) == prefix) return true;
  return false;
}

namespace {

bool is_windows_absolute(std::string_view path) {
  if (path.size() >= 3 && std::isalpha(static_cast<unsigned char>(path[0])) && path[1] == ':' &&
      (path[2] == '\\' || path[2] == '/'))
    return true;
  return path.substr(0, 2) == "\\\\";
}

class Resolver {
 public:
  Resolver(const std::string& working_dir, const std::string& home) : working_dir_(working_dir), home_(home) {}

  Result<void> walk(Node& node, TreePath& path) {
    enum class Kind { context, unix_path, absolute, volume_mount, volume_driver };
    static const PathPatterns<Kind> patterns{
        {"services.*.build.context", Kind::context},
        {"services.*.build.additional_contexts.*", Kind::context},
        {"services.*.build.ssh.*", Kind::unix_path},
        {"configs.*.file", Kind::unix_path},
        {"secrets.*.file", Kind::unix_path},
        {"services.*.env_file.*.path", Kind::absolute},
        {"services.*.label_file.*", Kind::absolute},
        {"services.*.develop.watch.*.path", Kind::absolute},
        {"services.*.extends.file", Kind::absolute},
        {"services.*.volumes.*", Kind::volume_mount},
        {"volumes.*", Kind::volume_driver},
    };
    if (const Kind* kind = patterns.match(path)) {
      switch (*kind) {
        case Kind::context:
          if (node.is_string() && !is_remote_context(node.text)) node.text = absolute(node.text);
          return {};
        case Kind::unix_path:
          if (node.is_string()) node.text = unix_path(node.text);
          return {};
        case Kind::absolute: return absolute_node(node, path);
        case Kind::volume_mount: return volume_mount(node, path);
        case Kind::volume_driver: return volume_driver_options(node);
      }
    }
    if (node.is_mapping()) {
      for (MapEntry& entry : node.entries) {
        path.push(entry.key);
        auto walked = walk(entry.value, path);
        path.pop();
        if (!walked) return walked;
      }
    } else if (node.is_sequence()) {
      for (size_t i = 0; i < node.items.size(); ++i) {
        path.push("[" + std::to_string(i) + "]");
        auto walked = walk(node.items[i], path);
        path.pop();
        if (!walked) return walked;
      }
    }
    return {};
  }

 private:
  std::string absolute(const std::string& value) const {
    std::string expanded = expand_user(value, home_);
    if (expanded.empty() || is_absolute_path(expanded)) return expanded;
    return join_path(working_dir_, expanded);
  }

  // Absolute for Unix or for Windows ("C:\\data", "\\\\server\\share"): a Windows client may drive a Unix host and
  // the other way round, so both are kept as written.
  std::string unix_path(const std::string& value) const {
    std::string expanded = expand_user(value, home_);
    if (is_absolute_path(expanded) || is_windows_absolute(expanded)) return expanded;
    return join_path(working_dir_, expanded);
  }

  Result<void> absolute_node(Node& node, const TreePath& path) {
    if (node.is_string()) {
      node.text = absolute(node.text);
      return {};
    }
    if (node.is_sequence()) {
      for (Node& item : node.items)
        if (item.is_string()) item.text = absolute(item.text);
      return {};
    }
    return located_error(node.mark, path.str(), "expected a path, found " + describe_kind(node));
  }

  Result<void> volume_mount(Node& node, const TreePath& path) {
    if (!node.is_mapping()) return {};
    const Node* type = node.find("type");
    if (!type || type->scalar_string() != "bind") return {};
    Node* source = node.find("source");
    if (!source)
      return located_error(node.mark, path.str(), "invalid mount config for type \"bind\": field source must not be empty");
    if (source->is_string()) source->text = unix_path(source->text);
    return {};
  }

  Result<void> volume_driver_options(Node& node) {
    if (!node.is_mapping()) return {};
    const Node* driver = node.find("driver");
    if (!driver || driver->scalar_string() != "local") return {};
    Node* options = node.find("driver_opts");
    if (!options || !options->is_mapping()) return {};
    const Node* o = options->find("o");
    Node* device = options->find("device");
    if (o && o->scalar_string() == "bind" && device && device->is_string()) device->text = unix_path(device->text);
    return {};
  }

  const std::string& working_dir_;
  const std::string& home_;
};

}  // namespace

Result<void> resolve_relative_paths(Node& tree, const std::string& working_dir, const std::string& home) {
  Resolver resolver(working_dir, home);
  TreePath path;
  return resolver.walk(tree, path);
}

}  // namespace berth::compose
