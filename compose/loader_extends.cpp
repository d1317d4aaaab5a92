// `include` and `extends`: the two ways a compose file brings in definitions from other files.
#include "compose/diagnostic.h"
#include "compose/dotenv.h"
#include "compose/loader_internal.h"
#include "compose/paths.h"
#include "compose/yaml_reader.h"

#include <unordered_map>

namespace berth::compose::detail {

namespace {

constexpr size_t kMaxExtendsCopies = 2'000'000;

std::string absolute_in(const std::string& directory, const std::string& path) {
  if (is_absolute_path(path)) return clean_path(path);
  return join_path(directory, path);
}

// A string or a list of strings, as a list.
Result<std::vector<std::pair<std::string, SourceMark>>> string_list(const Node& node, const KeyPath& path) {
  std::vector<std::pair<std::string, SourceMark>> out;
  if (node.is_string()) {
    out.emplace_back(node.text, node.mark);
    return out;
  }
  if (node.is_sequence()) {
    for (size_t i = 0; i < node.items.size(); ++i) {
      if (!node.items[i].is_string())
        return located_error(node.items[i].mark, path.item(i), "must be a string, found " + describe_kind(node.items[i]));
      out.emplace_back(node.items[i].text, node.items[i].mark);
    }
    return out;
  }
  return located_error(node.mark, path, "must be a string or a list of strings, found " + describe_kind(node));
}

}  // namespace

Result<void> Loader::apply_include(Node& document, const ModelContext& context,
                                   const std::vector<std::string>& included, const ResetPaths& resets) {
  const Node* includes = document.find("include");
  if (!includes) return {};
  if (includes->is_null()) {
    document.erase("include");
    return {};
  }
  if (!includes->is_sequence())
    return located_error(includes->mark, "include", "must be a list, found " + describe_kind(*includes));
  std::vector<Node> entries = includes->items;
  for (size_t index = 0; index < entries.size(); ++index) {
    Node entry = std::move(entries[index]);
    KeyPath path = KeyPath{"include"}.item(index);
    if (entry.is_string()) {
      Node mapping = Node::mapping(entry.mark);
      mapping.set("path", std::move(entry));
      entry = std::move(mapping);
    }
    if (!entry.is_mapping())
      return located_error(entry.mark, path, "must be a path or a mapping, found " + describe_kind(entry));
    const Node* paths_node = entry.find("path");
    if (!paths_node) return located_error(entry.mark, path, "missing required property \"path\"");
    auto paths = BERTH_TRY(string_list(*paths_node, path.child("path")));
    if (paths.empty()) return located_error(paths_node->mark, path.child("path"), "no file to include");

    std::vector<ComposeFileSource> files;
    std::string project_directory;
    for (size_t i = 0; i < paths.size(); ++i) {
      std::string file = absolute_in(context.working_dir, paths[i].first);
      if (i == 0) {
        const Node* directory = entry.find("project_directory");
        if (directory && directory->is_string() && !directory->text.empty())
          project_directory = absolute_in(context.working_dir, directory->text);
        else
          project_directory = parent_directory(file);
        if (std::find(included.begin(), included.end(), file) != included.end()) {
          std::string cycle = *display_name(included.front());
          for (size_t k = 1; k < included.size(); ++k) cycle += " includes " + *display_name(included[k]);
          cycle += " includes " + *display_name(file);
          return located_error(paths[i].second, path.child("path"), "include cycle detected: " + cycle);
        }
      }
      ComposeFileSource source;
      source.path = file;
      source.content = BERTH_TRY(read_file(file, paths[i].second));
      files.push_back(std::move(source));
    }

    // The included project's variables: its own env files (or its .env), under what the includer already has.
    std::vector<std::pair<std::string, SourceMark>> env_files;
    if (const Node* env_file = entry.find("env_file")) {
      for (auto& [file, mark] : BERTH_TRY(string_list(*env_file, path.child("env_file")))) {
        if (file == "/dev/null") continue;
        std::string resolved = absolute_in(context.working_dir, file);
        if (!options_.files_access.is_file(resolved))
          return located_error(mark, path.child("env_file"), "couldn't find env file: " + resolved);
        env_files.emplace_back(resolved, mark);
      }
    } else if (std::string dot_env = join_path(project_directory, ".env"); options_.files_access.is_file(dot_env)) {
      env_files.emplace_back(dot_env, entry.mark);
    }
    EnvMap from_files;
    for (auto& [file, mark] : env_files) {
      std::string content = BERTH_TRY(read_file(file, mark));
      const Mapping& outer = context.environment;
      VariableLookup lookup = [&outer](std::string_view name) -> std::optional<std::string> {
        auto it = outer.find(std::string(name));
        if (it == outer.end()) return std::nullopt;
        return it->second;
      };
      auto parsed = parse_dotenv(content, from_files, lookup, *display_name(file));
      if (!parsed) return located_error(mark, path.child("env_file"), parsed.error().message());
    }
    ModelContext inner = context;
    inner.working_dir = project_directory;
    inner.resolve_paths = true;
    for (auto& [key, value] : from_files) inner.environment.emplace(key, value);  // the includer's values win

    Node imported = BERTH_TRY(load_yaml_model(files, inner, included));
    // Resources of the included project join this one; a definition here of the same name overrides it.
    for (const char* kind : {"services", "volumes", "networks", "secrets", "configs", "models"}) {
      Node* from = imported.find(kind);
      if (!from || !from->is_mapping()) continue;
      Node* to = document.find(kind);
      if (!to || !to->is_mapping()) to = &document.set(kind, Node::mapping(from->mark));
      std::unordered_map<std::string, size_t> positions;
      for (size_t i = 0; i < to->entries.size(); ++i) positions.emplace(to->entries[i].key, i);
      for (MapEntry& resource : from->entries) {
        auto local = positions.find(resource.key);
        if (local == positions.end()) {
          positions.emplace(resource.key, to->entries.size());
          to->entries.push_back(std::move(resource));
          continue;
        }
        apply_resets(resource.value, resets, TreePath({kind, resource.key}));
        Node& existing = to->entries[local->second].value;
        existing = BERTH_TRY(merge_nodes(std::move(resource.value), std::move(existing), TreePath({kind, resource.key})));
      }
    }
  }
  document.erase("include");
  return {};
}

Result<ExtendedFile*> Loader::load_extended_file(const std::string& path, const ModelContext& context,
                                                 const SourceMark& used_at) {
  for (ExtendedFile& file : extended_files_)
    if (file.path == path) return &file;
  ComposeFileSource source;
  source.path = path;
  source.content = BERTH_TRY(read_file(path, used_at));
  // The extended file is read as compose-go reads it: interpolated and canonical, but neither validated nor
  // completed with its own includes and extends (those are resolved as the chain is walked).
  ModelContext inner = context;
  inner.working_dir = parent_directory(path);
  inner.skip_include = true;
  inner.skip_extends = true;
  inner.skip_validation = true;
  inner.skip_defaults = true;
  Node model = Node::mapping();
  std::vector<std::string> included;
  ResetPaths resets = BERTH_TRY(load_yaml_file(source, inner, model, included));
  BERTH_TRY(resolve_relative_paths(model, inner.working_dir, home_));
  Node* services = model.find("services");
  if (!services) return located_error(used_at, "", "cannot extend a service from " + path + ": it has no services");
  if (!services->is_mapping())
    return located_error(services->mark, "services", "must be a mapping, found " + describe_kind(*services));
  ExtendedFile& file = extended_files_.emplace_back();
  file.path = path;
  file.services = std::move(*services);
  file.resets = std::move(resets);
  file.table = std::make_unique<ServiceTable>(&file.services);
  return &file;
}

Result<const Node*> Loader::extend_service(const std::string& name, ServiceTable& services, const std::string& file,
                                           const std::string& directory, const ModelContext& context,
                                           std::vector<ExtendsStep>& chain, const ResetPaths& resets) {
  Node* service = services.find(name);
  if (!service || service->is_null()) return nullptr;
  KeyPath path{"services", name};
  if (!service->is_mapping())
    return located_error(service->mark, path, "must be a mapping, found " + describe_kind(*service));
  const Node* extends = service->find("extends");
  if (!extends) return service;

  std::string reference;
  const Node* reference_file = nullptr;
  if (extends->is_string()) {
    reference = extends->text;
  } else if (extends->is_mapping()) {
    const Node* target = extends->find("service");
    if (!target || !target->is_string())
      return located_error(extends->mark, path.child("extends"), "extends.service is required");
    reference = target->text;
    reference_file = extends->find("file");
    if (reference_file && !reference_file->is_string())
      return located_error(reference_file->mark, path.child("extends").child("file"),
                           "must be a string, found " + describe_kind(*reference_file));
  } else {
    return located_error(extends->mark, path.child("extends"), "must be a string or a mapping, found " +
                                                                   describe_kind(*extends));
  }

  ServiceTable* base_services = &services;
  const ResetPaths* base_resets = &resets;
  std::string base_file = file;
  std::string base_directory = directory;
  if (reference_file) {
    std::string other = absolute_in(directory, expand_user(reference_file->text, home_));
    ExtendedFile* loaded = BERTH_TRY(load_extended_file(other, context, reference_file->mark));
    if (!loaded->table->find(reference))
      return located_error(extends->mark, path.child("extends"),
                           "cannot extend service " + quote(name) + ": service " + quote(reference) + " not found in " +
                               *display_name(other));
    base_services = loaded->table.get();
    base_resets = &loaded->resets;
    base_file = other;
    base_directory = parent_directory(other);
  } else if (!services.find(reference)) {
    return located_error(extends->mark, path.child("extends"),
                         "cannot extend service " + quote(name) + " in " + *display_name(file) + ": service " +
                             quote(reference) + " not found");
  }

  for (const ExtendsStep& step : chain) {
    if (step.file == base_file && step.service == reference) {
      std::string cycle;
      for (const ExtendsStep& s : chain) cycle += s.service + " in " + *display_name(s.file) + " extends ";
      cycle += reference + " in " + *display_name(base_file);
      return located_error(extends->mark, path.child("extends"), "circular reference: " + cycle);
    }
  }
  chain.push_back({base_file, reference});
  SourceMark extends_mark = extends->mark;
  const Node* base =
      BERTH_TRY(extend_service(reference, *base_services, base_file, base_directory, context, chain, *base_resets));
  chain.pop_back();
  service = services.find(name);  // the walk may have replaced entries of this mapping
  if (!base) return service;

  // Each extending service gets its own copy of its base: bound the total, as aliases are bounded.
  extends_copies_ += base->subtree_size();
  if (extends_copies_ > kMaxExtendsCopies)
    return located_error(extends_mark, path.child("extends"),
                         "extends copies more than " + std::to_string(kMaxExtendsCopies) + " values; giving up");
  Node source = *base;
  apply_resets(source, resets, TreePath({"services", name}));
  Node merged = BERTH_TRY(merge_nodes(std::move(source), *service, TreePath({"services", "x"})));
  merged.erase("extends");
  if (!merged.mark.known()) merged.mark = extends_mark;
  *service = std::move(merged);
  return service;
}

Result<void> Loader::apply_extends(Node& document, const std::string& file, const ModelContext& context,
                                   const ResetPaths& resets) {
  Node* services = document.find("services");
  if (!services) return {};
  if (!services->is_mapping())
    return located_error(services->mark, "services", "must be a mapping, found " + describe_kind(*services));
  ServiceTable table(services);
  std::vector<std::string> names;
  for (const MapEntry& entry : services->entries) names.push_back(entry.key);
  for (const std::string& name : names) {
    std::vector<ExtendsStep> chain{{file, name}};
    BERTH_TRY(extend_service(name, table, file, context.working_dir, context, chain, resets));
  }
  return {};
}

}  // namespace berth::compose::detail
