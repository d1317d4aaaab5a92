#include "compose/canonical.h"

#include "compose/diagnostic.h"
#include "compose/paths.h"
#include "compose/port_spec.h"
#include "compose/tree_path.h"
#include "compose/volume_spec.h"

namespace berth::compose {

namespace {

enum class Transform {
  recurse,
  file_mount,
  string_or_x,
  key_value,
  depends_on,
  env_file,
  string_or_list,
  extends,
  gpus,
  names_to_mapping,
  volume_mount,
  device_mapping,
  ports,
  build,
  ssh,
  ulimit,
  maybe_external,
  include,
};

struct TransformPattern {
  const char* pattern;
  Transform transform;
};

// compose-go's transformers, by path.
constexpr TransformPattern kTransforms[] = {
    {"services.*", Transform::recurse},
    {"services.*.build.secrets.*", Transform::file_mount},
    {"services.*.build.provenance", Transform::string_or_x},
    {"services.*.build.sbom", Transform::string_or_x},
    {"services.*.build.additional_contexts", Transform::key_value},
    {"services.*.depends_on", Transform::depends_on},
    {"services.*.env_file", Transform::env_file},
    {"services.*.label_file", Transform::string_or_list},
    {"services.*.extends", Transform::extends},
    {"services.*.gpus", Transform::gpus},
    {"services.*.networks", Transform::names_to_mapping},
    {"services.*.models", Transform::names_to_mapping},
    {"services.*.volumes.*", Transform::volume_mount},
    {"services.*.dns", Transform::string_or_list},
    {"services.*.devices.*", Transform::device_mapping},
    {"services.*.secrets.*", Transform::file_mount},
    {"services.*.configs.*", Transform::file_mount},
    {"services.*.ports", Transform::ports},
    {"services.*.build", Transform::build},
    {"services.*.build.ssh", Transform::ssh},
    {"services.*.ulimits.*", Transform::ulimit},
    {"services.*.build.ulimits.*", Transform::ulimit},
    {"services.*.develop.watch.*.ignore", Transform::string_or_list},
    {"services.*.develop.watch.*.include", Transform::string_or_list},
    {"volumes.*", Transform::maybe_external},
    {"networks.*", Transform::maybe_external},
    {"secrets.*", Transform::maybe_external},
    {"configs.*", Transform::maybe_external},
    {"include.*", Transform::include},
};

const Transform* transform_for(const TreePath& path) {
  static const PathPatterns<Transform> patterns(kTransforms, &TransformPattern::transform);
  return patterns.match(path);
}

Node port_node(const PortSpec& port, const SourceMark& mark) {
  Node node = Node::mapping(mark);
  node.set("mode", Node::string("ingress", mark));
  if (!port.host_ip.empty()) node.set("host_ip", Node::string(port.host_ip, mark));
  node.set("target", Node::integer(port.target, mark));
  if (!port.published.empty()) node.set("published", Node::string(port.published, mark));
  node.set("protocol", Node::string(port.protocol, mark));
  return node;
}

Node volume_node(const VolumeSpec& volume, const SourceMark& mark) {
  Node node = Node::mapping(mark);
  node.set("type", Node::string(volume.type, mark));
  if (!volume.source.empty()) node.set("source", Node::string(volume.source, mark));
  if (!volume.target.empty()) node.set("target", Node::string(clean_path(volume.target), mark));
  if (volume.read_only) node.set("read_only", Node::boolean(true, mark));
  if (volume.has_bind) {
    Node bind = Node::mapping(mark);
    if (!volume.bind_propagation.empty()) bind.set("propagation", Node::string(volume.bind_propagation, mark));
    if (!volume.bind_selinux.empty()) bind.set("selinux", Node::string(volume.bind_selinux, mark));
    if (volume.bind_create_host_path) bind.set("create_host_path", Node::boolean(true, mark));
    node.set("bind", std::move(bind));
  }
  if (volume.has_volume) {
    Node options = Node::mapping(mark);
    if (volume.volume_nocopy) options.set("nocopy", Node::boolean(true, mark));
    node.set("volume", std::move(options));
  }
  return node;
}

class Canonicalizer {
 public:
  explicit Canonicalizer(const CanonicalOptions& options) : options_(options) {}

  Result<void> walk(Node& node, TreePath& path) {
    if (const Transform* t = transform_for(path)) return apply(*t, node, path);
    return recurse(node, path);
  }

 private:
  Result<void> recurse(Node& node, TreePath& path) {
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

  Error type_error(const Node& node, const TreePath& path, std::string_view what) {
    return located_error(node.mark, path.str(), "invalid type " + describe_kind(node) + " for " + std::string(what));
  }

  Result<void> apply(Transform transform, Node& node, TreePath& path) {
    switch (transform) {
      case Transform::recurse: return recurse(node, path);
      case Transform::file_mount:
        if (node.is_mapping()) return {};
        if (node.is_string()) {
          Node mount = Node::mapping(node.mark);
          mount.set("source", std::move(node));
          node = std::move(mount);
          return {};
        }
        return type_error(node, path, "a file mount");
      case Transform::string_or_x:
        if (node.is_scalar() && !node.is_string()) node = Node::string(node.scalar_string(), node.mark);
        return {};
      case Transform::key_value: {
        if (node.is_mapping()) return {};
        if (!node.is_sequence()) return type_error(node, path, "a KEY=VALUE list");
        MappingBuilder mapping(node.mark);
        for (const Node& item : node.items) {
          std::string text = item.scalar_string();
          size_t equals = text.find('=');
          if (equals == std::string::npos) {
            if (options_.keep_unparsable) return {};
            return located_error(item.mark, path.str(), "invalid value " + quote(text) + ", expected key=value");
          }
          mapping.set(text.substr(0, equals), Node::string(text.substr(equals + 1), item.mark), item.mark);
        }
        node = std::move(mapping).take();
        return {};
      }
      case Transform::depends_on: return depends_on(node, path);
      case Transform::env_file: return env_file(node, path);
      case Transform::string_or_list:
        if (node.is_string()) {
          Node list = Node::sequence(node.mark);
          list.items.push_back(std::move(node));
          node = std::move(list);
        }
        return {};
      case Transform::extends:
        if (node.is_mapping()) return recurse(node, path);
        if (node.is_string()) {
          Node extends = Node::mapping(node.mark);
          extends.set("service", std::move(node));
          node = std::move(extends);
          return {};
        }
        return type_error(node, path, "extends");
      case Transform::gpus:
        if (node.is_sequence()) return recurse(node, path);
        if (node.is_string()) {
          Node request = Node::mapping(node.mark);
          request.set("count", Node::string("all", node.mark));
          Node list = Node::sequence(node.mark);
          list.items.push_back(std::move(request));
          node = std::move(list);
          return {};
        }
        return type_error(node, path, "gpus");
      case Transform::names_to_mapping:
        if (node.is_sequence()) {
          MappingBuilder mapping(node.mark);
          for (const Node& item : node.items) mapping.set(item.scalar_string(), Node::null_value(item.mark), item.mark);
          node = std::move(mapping).take();
        }
        return {};
      case Transform::volume_mount:
        if (node.is_mapping()) return {};
        if (node.is_string()) {
          auto volume = parse_volume_spec(node.text);
          if (!volume) {
            if (options_.keep_unparsable) return {};
            return located_error(node.mark, path.str(), volume.error().message());
          }
          node = volume_node(*volume, node.mark);
          return {};
        }
        return type_error(node, path, "a service volume");
      case Transform::device_mapping: return device_mapping(node, path);
      case Transform::ports: return ports(node, path);
      case Transform::build:
        if (node.is_mapping()) return recurse(node, path);
        if (node.is_string()) {
          Node build = Node::mapping(node.mark);
          build.set("context", std::move(node));
          node = std::move(build);
          return {};
        }
        return type_error(node, path, "build");
      case Transform::ssh: return ssh(node, path);
      case Transform::ulimit:
        if (node.is_mapping() || node.is_integer()) return {};
        return type_error(node, path, "a ulimit");
      case Transform::maybe_external: return maybe_external(node, path);
      case Transform::include:
        if (node.is_string()) {
          Node include = Node::mapping(node.mark);
          include.set("path", std::move(node));
          node = std::move(include);
          return {};
        }
        if (node.is_mapping()) return {};
        return type_error(node, path, "include");
    }
    return {};
  }

  Result<void> depends_on(Node& node, TreePath& path) {
    auto with_defaults = [](Node& dependency) {
      if (!dependency.contains("condition")) dependency.set("condition", Node::string("service_started", dependency.mark));
      if (!dependency.contains("required")) dependency.set("required", Node::boolean(true, dependency.mark));
    };
    if (node.is_mapping()) {
      for (MapEntry& entry : node.entries) {
        if (!entry.value.is_mapping())
          return located_error(entry.value.mark, path.str() + "." + entry.key,
                               "unsupported value " + describe_kind(entry.value) + ", expected a mapping");
        with_defaults(entry.value);
      }
      return {};
    }
    if (node.is_sequence()) {
      MappingBuilder mapping(node.mark);
      for (const Node& item : node.items) {
        Node dependency = Node::mapping(item.mark);
        with_defaults(dependency);
        mapping.set(item.scalar_string(), std::move(dependency), item.mark);
      }
      node = std::move(mapping).take();
      return {};
    }
    return type_error(node, path, "depends_on");
  }

  Result<void> env_file(Node& node, TreePath& path) {
    auto entry_of = [](Node value) {
      if (value.is_string()) {
        Node entry = Node::mapping(value.mark);
        SourceMark mark = value.mark;
        entry.set("path", std::move(value));
        entry.set("required", Node::boolean(true, mark));
        return entry;
      }
      if (value.is_mapping() && !value.contains("required")) value.set("required", Node::boolean(true, value.mark));
      return value;
    };
    if (node.is_string()) {
      Node list = Node::sequence(node.mark);
      list.items.push_back(entry_of(std::move(node)));
      node = std::move(list);
      return {};
    }
    if (node.is_sequence()) {
      for (Node& item : node.items) item = entry_of(std::move(item));
      return {};
    }
    return type_error(node, path, "env_file");
  }

  Result<void> device_mapping(Node& node, TreePath& path) {
    if (node.is_mapping()) return {};
    if (!node.is_string()) return type_error(node, path, "a device");
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
      size_t colon = node.text.find(':', start);
      parts.push_back(node.text.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
    if (parts.size() > 3) {
      if (options_.keep_unparsable) return {};
      return located_error(node.mark, path.str(), "confusing device mapping " + quote(node.text) +
                                                      ", please use the long syntax");
    }
    std::string source = parts[0];
    std::string target = parts.size() > 1 && !parts[1].empty() ? parts[1] : source;
    std::string permissions = parts.size() > 2 ? parts[2] : "rwm";
    Node device = Node::mapping(node.mark);
    device.set("source", Node::string(source, node.mark));
    device.set("target", Node::string(target, node.mark));
    device.set("permissions", Node::string(permissions, node.mark));
    node = std::move(device);
    return {};
  }

  Result<void> ports(Node& node, TreePath& path) {
    if (!node.is_sequence()) return type_error(node, path, "ports");
    Node result = Node::sequence(node.mark);
    for (size_t i = 0; i < node.items.size(); ++i) {
      Node& item = node.items[i];
      path.push("[" + std::to_string(i) + "]");
      std::string spec;
      if (item.is_integer()) {
        spec = item.scalar_string();
      } else if (item.is_string()) {
        spec = item.text;
      } else if (item.is_mapping()) {
        ++ports_;
        result.items.push_back(std::move(item));
        path.pop();
        continue;
      } else {
        Error error = type_error(item, path, "a port");
        path.pop();
        return error;
      }
      auto parsed = parse_port_spec(spec);
      if (!parsed) {
        if (options_.keep_unparsable && item.is_string()) {
          path.pop();
          return {};  // leave the whole list as written, as the reference does
        }
        Error error = located_error(item.mark, path.str(), parsed.error().message());
        path.pop();
        return error;
      }
      path.pop();
      ports_ += parsed->size();
      if (ports_ > kMaxPorts)
        return located_error(item.mark, path.str(),
                             "more than " + std::to_string(kMaxPorts) + " ports in the project after expanding ranges");
      for (const PortSpec& port : *parsed) result.items.push_back(port_node(port, item.mark));
    }
    node = std::move(result);
    return {};
  }

  Result<void> ssh(Node& node, TreePath& path) {
    if (node.is_mapping()) return {};
    if (!node.is_sequence()) return type_error(node, path, "ssh");
    MappingBuilder mapping(node.mark);
    for (const Node& item : node.items) {
      if (!item.is_string()) return type_error(item, path, "an ssh key");
      size_t equals = item.text.find('=');
      if (equals == std::string::npos) {
        if (item.text != "default") return located_error(item.mark, path.str(), "invalid ssh key " + quote(item.text));
        mapping.set(item.text, Node::null_value(item.mark), item.mark);
        continue;
      }
      mapping.set(item.text.substr(0, equals), Node::string(item.text.substr(equals + 1), item.mark), item.mark);
    }
    node = std::move(mapping).take();
    return {};
  }

  Result<void> maybe_external(Node& node, TreePath& path) {
    if (node.is_null()) return {};
    if (!node.is_mapping()) return type_error(node, path, "a resource definition");
    BERTH_TRY(recurse(node, path));
    Node* external = node.find("external");
    if (!external || !external->is_mapping()) return {};
    const Node* external_name = external->find("name");
    const Node* name = node.find("name");
    Node name_value = external_name ? *external_name : Node();
    SourceMark mark = external->mark;
    *external = Node::boolean(true, mark);
    if (external_name) {
      if (options_.warnings)
        options_.warnings->push_back(path.str() + ": external.name is deprecated. Please set name and external: true");
      if (name && !same_value(*name, name_value))
        return located_error(mark, path.str(), "name and external.name conflict; only use name");
      if (!name) node.set("name", std::move(name_value));
    }
    return {};
  }

  const CanonicalOptions& options_;
  size_t ports_ = 0;  // port entries seen in this pass, expansions included
};

enum class Default { build_context, secret_target, port, device_request, volume_bind };

struct DefaultPattern {
  const char* pattern;
  Default kind;
};

constexpr DefaultPattern kDefaults[] = {
    {"services.*.build", Default::build_context},
    {"services.*.secrets.*", Default::secret_target},
    {"services.*.ports.*", Default::port},
    {"services.*.deploy.resources.reservations.devices.*", Default::device_request},
    {"services.*.gpus.*", Default::device_request},
    {"services.*.volumes.*.bind", Default::volume_bind},
};

Result<void> defaults_walk(Node& node, TreePath& path) {
  static const PathPatterns<Default> patterns(kDefaults, &DefaultPattern::kind);
  if (const Default* kind = patterns.match(path)) {
    {
      switch (*kind) {
        case Default::build_context:
          if (node.is_mapping() && !node.contains("context")) node.set("context", Node::string(".", node.mark));
          return {};
        case Default::secret_target:
          if (!node.is_mapping())
            return located_error(node.mark, path.str(), "unsupported type " + describe_kind(node) + " for a secret");
          if (!node.contains("target")) {
            const Node* source = node.find("source");
            node.set("target", Node::string("/run/secrets/" + (source ? source->scalar_string() : ""), node.mark));
          }
          return {};
        case Default::port:
          if (node.is_mapping()) {
            if (!node.contains("protocol")) node.set("protocol", Node::string("tcp", node.mark));
            if (!node.contains("mode")) node.set("mode", Node::string("ingress", node.mark));
          }
          return {};
        case Default::device_request:
          if (!node.is_mapping())
            return located_error(node.mark, path.str(), "invalid type " + describe_kind(node) + " for a device request");
          if (!node.contains("count") && !node.contains("device_ids"))
            node.set("count", Node::string("all", node.mark));
          return {};
        case Default::volume_bind:
          if (!node.is_mapping())
            return located_error(node.mark, path.str(), "invalid type " + describe_kind(node) + " for bind options");
          if (!node.contains("create_host_path")) node.set("create_host_path", Node::boolean(true, node.mark));
          return {};
      }
    }
  }
  if (node.is_mapping()) {
    for (MapEntry& entry : node.entries) {
      path.push(entry.key);
      auto walked = defaults_walk(entry.value, path);
      path.pop();
      if (!walked) return walked;
    }
  } else if (node.is_sequence()) {
    for (size_t i = 0; i < node.items.size(); ++i) {
      path.push("[" + std::to_string(i) + "]");
      auto walked = defaults_walk(node.items[i], path);
      path.pop();
      if (!walked) return walked;
    }
  }
  return {};
}

}  // namespace

Result<void> make_canonical(Node& tree, const CanonicalOptions& options) {
  Canonicalizer canonicalizer(options);
  TreePath path;
  return canonicalizer.walk(tree, path);
}

Result<void> set_default_values(Node& tree) {
  TreePath path;
  return defaults_walk(tree, path);
}

void omit_empty(Node& tree) {
  Node* services = tree.find("services");
  if (!services || !services->is_mapping()) return;
  for (MapEntry& service : services->entries) {
    Node* dns = service.value.find("dns");
    if (!dns || !dns->is_sequence()) continue;
    std::vector<Node> kept;
    for (Node& item : dns->items)
      if (!item.is_null() && !(item.is_string() && item.text.empty())) kept.push_back(std::move(item));
    dns->items = std::move(kept);
  }
}

}  // namespace berth::compose
