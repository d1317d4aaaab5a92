#include "compose/normalize.h"

#include "compose/diagnostic.h"
#include "compose/paths.h"

namespace berth::compose {

namespace {

Node implicit_dependency(bool restart, const SourceMark& mark) {
  Node dependency = Node::mapping(mark);
  dependency.set("condition", Node::string("service_started", mark));
  dependency.set("restart", Node::boolean(restart, mark));
  dependency.set("required", Node::boolean(true, mark));
  return dependency;
}

void normalize_networks(Node& tree) {
  bool uses_default = false;
  if (Node* services = tree.find("services"); services && services->is_mapping()) {
    for (MapEntry& entry : services->entries) {
      Node& service = entry.value;
      if (!service.is_mapping() || service.contains("provider") || service.contains("network_mode")) continue;
      Node* networks = service.find("networks");
      if (!networks || (networks->is_mapping() && networks->entries.empty()) || networks->is_null()) {
        Node attach = Node::mapping(service.mark);
        attach.set("default", Node::null_value(service.mark));
        service.set("networks", std::move(attach));
        uses_default = true;
      } else if (networks->contains("default")) {
        uses_default = true;
      }
    }
  }
  Node* networks = tree.find("networks");
  if (uses_default && (!networks || !networks->contains("default"))) {
    if (!networks || !networks->is_mapping()) networks = &tree.set("networks", Node::mapping(tree.mark));
    networks->set("default", Node::null_value(tree.mark));
  }
}

// Entries without a value take the environment's, when it has one (keep_empty: keep them unset otherwise).
void resolve_from_environment(Node& values, const VariableLookup& environment, bool keep_empty) {
  if (values.is_mapping()) {
    std::vector<MapEntry> kept;
    for (MapEntry& entry : values.entries) {
      if (entry.value.is_null()) {
        if (auto value = environment(entry.key)) {
          entry.value = Node::string(*value, entry.value.mark);
        } else if (!keep_empty) {
          continue;
        }
      }
      kept.push_back(std::move(entry));
    }
    values.entries = std::move(kept);
  } else if (values.is_sequence()) {
    std::vector<Node> kept;
    for (Node& item : values.items) {
      if (item.is_string() && item.text.find('=') == std::string::npos) {
        if (auto value = environment(item.text)) {
          item.text += "=" + *value;
        } else if (!keep_empty) {
          continue;
        }
      }
      kept.push_back(std::move(item));
    }
    values.items = std::move(kept);
  }
}

// Explicit dependencies are never overridden by implicit ones.
void add_dependency(MappingBuilder& depends_on, const std::string& name, bool restart, const SourceMark& mark) {
  if (!depends_on.contains(name)) depends_on.set(name, implicit_dependency(restart, mark), mark);
}

void normalize_service(Node& service, const VariableLookup& environment) {
  if (const Node* policy = service.find("pull_policy"); policy && policy->scalar_string() == "if_not_present")
    service.set("pull_policy", Node::string("missing", policy->mark));

  if (Node* build = service.find("build"); build && build->is_mapping()) {
    const Node* context = build->find("context");
    if (!context || context->is_null()) build->set("context", Node::string(".", build->mark));
    const Node* dockerfile = build->find("dockerfile");
    const Node* inline_dockerfile = build->find("dockerfile_inline");
    if ((!dockerfile || dockerfile->is_null()) && (!inline_dockerfile || inline_dockerfile->is_null()))
      build->set("dockerfile", Node::string("Dockerfile", build->mark));
    if (Node* args = build->find("args")) resolve_from_environment(*args, environment, false);
  }
  if (Node* env = service.find("environment")) resolve_from_environment(*env, environment, true);

  MappingBuilder depends_on(service.mark);
  if (Node* existing = service.find("depends_on"); existing && existing->is_mapping())
    for (MapEntry& entry : existing->entries) depends_on.set(entry.key, entry.value, entry.key_mark);
  if (const Node* links = service.find("links"); links && links->is_sequence()) {
    for (const Node& link : links->items) {
      std::string name = link.scalar_string();
      size_t colon = name.find(':');
      if (colon != std::string::npos && name.find(':', colon + 1) == std::string::npos) name = name.substr(0, colon);
      add_dependency(depends_on, name, true, link.mark);
    }
  }
  for (const char* key : {"network_mode", "ipc", "pid", "uts", "cgroup"}) {
    const Node* reference = service.find(key);
    if (!reference || !reference->is_string()) continue;
    if (reference->text.rfind("service:", 0) == 0) add_dependency(depends_on, reference->text.substr(8), true, reference->mark);
  }
  if (Node* volumes = service.find("volumes"); volumes && volumes->is_sequence()) {
    for (Node& volume : volumes->items) {
      if (!volume.is_mapping()) continue;
      if (Node* target = volume.find("target"); target && target->is_string()) target->text = clean_path(target->text);
    }
  }
  if (const Node* volumes_from = service.find("volumes_from"); volumes_from && volumes_from->is_sequence()) {
    for (const Node& entry : volumes_from->items) {
      std::string spec = entry.scalar_string();
      if (spec.rfind("container:", 0) == 0) continue;
      add_dependency(depends_on, spec.substr(0, spec.find(':')), false, entry.mark);
    }
  }
  Node dependencies = std::move(depends_on).take();
  if (!dependencies.entries.empty()) service.set("depends_on", std::move(dependencies));

  // pre_start hooks run the service's image unless they name their own.
  const Node* image = service.find("image");
  Node* hooks = service.find("pre_start");
  if (image && image->is_string() && !image->text.empty() && hooks && hooks->is_sequence()) {
    for (Node& hook : hooks->items)
      if (hook.is_mapping() && !hook.contains("image")) hook.set("image", *image);
  }
}

void set_names_from_keys(Node& tree, const std::string& project_name) {
  for (const char* kind : {"networks", "volumes", "configs", "secrets"}) {
    Node* resources = tree.find(kind);
    if (!resources || !resources->is_mapping()) continue;
    for (MapEntry& entry : resources->entries) {
      Node& resource = entry.value;
      if (!resource.is_mapping()) resource = Node::mapping(resource.mark.known() ? resource.mark : entry.key_mark);
      const Node* name = resource.find("name");
      if (name && !name->is_null()) continue;
      const Node* external = resource.find("external");
      bool is_external = external && (external->as_boolean().value_or(false) ||
                                      (external->is_string() && (external->text == "true" || external->text == "1")));
      resource.set("name", Node::string(is_external ? entry.key : project_name + "_" + entry.key, resource.mark));
    }
  }
}

}  // namespace

Result<void> normalize_tree(Node& tree, const std::string& project_name, const VariableLookup& environment) {
  normalize_networks(tree);
  if (Node* services = tree.find("services"); services && services->is_mapping()) {
    for (MapEntry& entry : services->entries)
      if (entry.value.is_mapping()) normalize_service(entry.value, environment);
  }
  set_names_from_keys(tree, project_name);
  return {};
}

}  // namespace berth::compose
