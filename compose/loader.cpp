#include "compose/loader.h"

#include <sys/stat.h>

#include "compose/canonical.h"
#include "compose/consistency.h"
#include "compose/decode.h"
#include "compose/diagnostic.h"
#include "compose/environment.h"
#include "compose/interpolate.h"
#include "compose/loader_internal.h"
#include "compose/normalize.h"
#include "compose/paths.h"
#include "compose/port_spec.h"
#include "compose/schema.h"
#include "compose/yaml_reader.h"
#include "core/fs.h"

namespace berth::compose {

namespace {

constexpr off_t kMaxFileSize = 16 * 1024 * 1024;

}  // namespace

FileAccess FileAccess::host() {
  FileAccess access;
  access.read = [](const std::string& path) -> Result<std::string> {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return sys_error("open " + path);
    if (S_ISDIR(info.st_mode)) return Error(path + " is a directory");
    if (info.st_size > kMaxFileSize) return Error(path + " is larger than 16 MiB");
    return fs::read_file(path);
  };
  access.is_file = [](const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && !S_ISDIR(info.st_mode);
  };
  return access;
}

std::string normalize_project_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9') || lower == '_' || lower == '-')
      out += lower;
  }
  size_t start = out.find_first_not_of("_-");
  return start == std::string::npos ? "" : out.substr(start);
}

bool is_valid_project_name(std::string_view name) { return !name.empty() && normalize_project_name(name) == name; }

namespace detail {

VariableLookup lookup_in(const Mapping& environment) {
  return [&environment](std::string_view name) -> std::optional<std::string> {
    auto it = environment.find(std::string(name));
    if (it == environment.end()) return std::nullopt;
    return it->second;
  };
}

Loader::Loader(const LoadOptions& options) : options_(options), environment_(options.environment) {
  if (options.home) {
    home_ = *options.home;
  } else if (auto it = environment_.find("HOME"); it != environment_.end()) {
    home_ = it->second;
  }
}

void Loader::warn(std::string message) {
  for (const std::string& existing : warnings_)
    if (existing == message) return;
  warnings_.push_back(std::move(message));
}

const std::string* Loader::display_name(const std::string& path) {
  auto it = display_names_.find(path);
  if (it != display_names_.end()) return it->second;
  std::string shown = path;
  // Files under the project directory are named relative to it, as a user would type them.
  const std::string& base = options_.working_dir;
  if (!base.empty() && path.size() > base.size() + 1 && path.compare(0, base.size(), base) == 0 &&
      path[base.size()] == '/')
    shown = path.substr(base.size() + 1);
  const std::string* name = intern_file_name(shown);
  display_names_.emplace(path, name);
  return name;
}

Result<std::string> Loader::read_file(const std::string& path, const SourceMark& used_at) {
  if (++files_read_ > options_.max_files)
    return located_error(used_at, "", "more than " + std::to_string(options_.max_files) +
                                          " compose files to read (include/extends); giving up");
  auto content = options_.files_access.read(path);
  if (!content) return located_error(used_at, "", content.error().message());
  return content;
}

Result<ResetPaths> Loader::load_yaml_file(const ComposeFileSource& file, const ModelContext& context, Node& model,
                                          std::vector<std::string>& included) {
  std::vector<Node> documents;
  if (auto cached = parsed_main_files_.find(file.path); cached != parsed_main_files_.end()) {
    documents = std::move(cached->second);
    parsed_main_files_.erase(cached);
  } else {
    std::string content;
    if (file.content) {
      content = *file.content;
    } else {
      content = BERTH_TRY(read_file(file.path, {}));
    }
    documents = BERTH_TRY(parse_yaml_documents(content, *display_name(file.path)));
  }
  ResetPaths last_resets;
  for (Node& document : documents) {
    ResetPaths resets = take_reset_tags(document);
    if (document.is_null()) continue;
    if (!document.is_mapping())
      return located_error(document.mark, "", "the top level of a compose file must be a mapping, found " +
                                                  describe_kind(document));
    if (context.interpolate) {
      std::vector<std::string> unset;
      BERTH_TRY(interpolate_tree(document, lookup_in(context.environment), &unset));
      for (const std::string& name : unset)
        warn("The \"" + name + "\" variable is not set. Defaulting to a blank string.");
    }
    if (!context.skip_include) {
      included.push_back(file.path);
      BERTH_TRY(apply_include(document, context, included, resets));
    }
    apply_resets(model, resets);
    if (!context.skip_extends) BERTH_TRY(apply_extends(document, file.path, context, resets));
    model = BERTH_TRY(merge_nodes(std::move(model), std::move(document)));
    BERTH_TRY(enforce_unicity(model));
    if (!context.skip_validation) {
      BERTH_TRY(validate_schema(model));
      if (model.erase("version"))
        warn(*display_name(file.path) + ": the attribute `version` is obsolete, it will be ignored, please remove it "
                                        "to avoid potential confusion");
    }
    CanonicalOptions canonical;
    canonical.keep_unparsable = !context.interpolate;
    canonical.warnings = &warnings_;
    BERTH_TRY(make_canonical(model, canonical));
    omit_empty(model);
    BERTH_TRY(enforce_unicity(model));
    last_resets = std::move(resets);
  }
  return last_resets;
}

Result<Node> Loader::load_yaml_model(const std::vector<ComposeFileSource>& files, const ModelContext& context,
                                     const std::vector<std::string>& included) {
  Node model = Node::mapping();
  for (const ComposeFileSource& file : files) {
    std::vector<std::string> chain = included;
    BERTH_TRY(load_yaml_file(file, context, model, chain));
  }
  if (!context.skip_defaults) BERTH_TRY(set_default_values(model));
  if (!context.skip_validation) BERTH_TRY(check_definitions(model));
  if (context.resolve_paths) BERTH_TRY(resolve_relative_paths(model, context.working_dir, home_));
  resolve_environment_lists(model, context.environment);
  return model;
}

Result<std::string> Loader::determine_project_name() {
  if (options_.project_name_explicit) {
    if (!is_valid_project_name(options_.project_name))
      return Error("invalid project name " + quote(options_.project_name) +
                   ": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as "
                   "start with a letter or number");
    return options_.project_name;
  }
  // The last `name:` of the files wins over the directory name.
  std::optional<Node> declared;
  for (const ComposeFileSource& file : options_.files) {
    std::string content;
    if (file.content) {
      content = *file.content;
    } else {
      content = BERTH_TRY(read_file(file.path, {}));
    }
    std::vector<Node> documents = BERTH_TRY(parse_yaml_documents(content, *display_name(file.path)));
    for (const Node& document : documents) {
      const Node* name = document.find("name");
      if (name && name->is_scalar() && !name->scalar_string().empty()) declared = *name;
    }
    parsed_main_files_[file.path] = std::move(documents);
  }
  std::string name;
  if (declared) {
    name = declared->scalar_string();
    if (options_.interpolate && declared->is_string()) {
      Substitution result = substitute(name, lookup_in(environment_));
      if (result.error) return located_error(declared->mark, "name", result.error->message());
      name = result.value;
    }
    if (options_.normalize) name = normalize_project_name(name);
  }
  if (name.empty()) name = options_.project_name;
  return name;
}

Result<Node> Loader::load_model() {
  if (options_.files.empty()) return Error("no compose file given");
  for (const ComposeFileSource& file : options_.files) compose_files_.push_back(file.path);
  project_name_ = BERTH_TRY(determine_project_name());
  // Interpolation sees the project's name, as Compose provides it.
  environment_["COMPOSE_PROJECT_NAME"] = project_name_;

  ModelContext context;
  context.working_dir = options_.working_dir;
  context.environment = environment_;
  context.interpolate = options_.interpolate;
  context.resolve_paths = options_.resolve_paths;
  Node model = BERTH_TRY(load_yaml_model(options_.files, context, {}));
  if (model.entries.empty()) return Error("empty compose file: " + *display_name(options_.files.front().path));
  if (project_name_.empty())
    return Error("project name must not be empty: set `name:`, use -p or COMPOSE_PROJECT_NAME");
  if (options_.normalize) {
    model.set("name", Node::string(project_name_));
    BERTH_TRY(normalize_tree(model, project_name_, lookup_in(environment_)));
  }
  return model;
}

Result<void> check_definitions(const Node& model) {
  // Volumes, networks, secrets and configs that are external take nothing but a name.
  for (const char* kind : {"volumes", "networks", "secrets", "configs"}) {
    const Node* resources = model.find(kind);
    if (!resources || !resources->is_mapping()) continue;
    for (const MapEntry& entry : resources->entries) {
      const Node& resource = entry.value;
      if (!resource.is_mapping()) continue;
      KeyPath path{kind, entry.key};
      const Node* external = resource.find("external");
      if (std::string_view(kind) == "volumes" && external && external->as_boolean().value_or(false)) {
        for (const MapEntry& attribute : resource.entries) {
          if (attribute.key == "name" || attribute.key == "external" || attribute.key.rfind("x-", 0) == 0) continue;
          return located_error(attribute.key_mark, path,
                               "conflicting parameters \"external\" and " + quote(attribute.key) + " specified");
        }
      }
      if (std::string_view(kind) == "secrets" || std::string_view(kind) == "configs") {
        std::vector<std::string> sources = {"file", "environment"};
        if (std::string_view(kind) == "configs") sources.push_back("content");
        size_t count = 0;
        for (const std::string& source : sources) count += resource.contains(source) ? 1 : 0;
        std::string names = sources[0] + "|" + sources[1] + (sources.size() > 2 ? "|" + sources[2] : "");
        if (count > 1) return located_error(resource.mark, path, names + " attributes are mutually exclusive");
        if (count == 0 && !resource.contains("driver") && !resource.contains("external"))
          return located_error(resource.mark, path, "one of " + names + " must be set");
      }
    }
  }
  const Node* services = model.find("services");
  if (!services || !services->is_mapping()) return {};
  for (const MapEntry& service : services->entries) {
    if (!service.value.is_mapping()) continue;
    KeyPath path{"services", service.key};
    if (const Node* ports = service.value.find("ports"); ports && ports->is_sequence()) {
      for (size_t i = 0; i < ports->items.size(); ++i) {
        const Node* host_ip = ports->items[i].find("host_ip");
        if (host_ip && host_ip->is_string() && !is_ip_address(host_ip->text))
          return located_error(host_ip->mark, path.child("ports").item(i), "invalid ip address: " + host_ip->text);
      }
    }
    if (const Node* develop = service.value.find("develop")) {
      if (const Node* watch = develop->find("watch"); watch && watch->is_sequence()) {
        for (size_t i = 0; i < watch->items.size(); ++i) {
          const Node* watched = watch->items[i].find("path");
          if (watched && watched->is_string() && watched->text.empty())
            return located_error(watched->mark, path.child("develop").child("watch").item(i).child("path"),
                                 "value can't be blank");
        }
      }
    }
    auto check_requests = [&](const Node* requests, const KeyPath& at) -> Result<void> {
      if (!requests || !requests->is_sequence()) return {};
      for (size_t i = 0; i < requests->items.size(); ++i) {
        const Node& request = requests->items[i];
        if (request.contains("count") && request.contains("device_ids"))
          return located_error(request.mark, at.item(i), "\"count\" and \"device_ids\" attributes are exclusive");
      }
      return {};
    };
    BERTH_TRY(check_requests(service.value.find("gpus"), path.child("gpus")));
    if (const Node* deploy = service.value.find("deploy")) {
      const Node* resources = deploy->find("resources");
      const Node* reservations = resources ? resources->find("reservations") : nullptr;
      if (reservations)
        BERTH_TRY(check_requests(reservations->find("devices"),
                                 path.child("deploy").child("resources").child("reservations").child("devices")));
    }
  }
  return {};
}

void resolve_environment_lists(Node& model, const Mapping& environment) {
  Node* services = model.find("services");
  if (!services || !services->is_mapping()) return;
  for (MapEntry& service : services->entries) {
    Node* env = service.value.find("environment");
    if (!env || !env->is_sequence()) continue;
    std::vector<Node> kept;
    for (Node& item : env->items) {
      if (!item.is_string()) continue;
      if (item.text.find('=') == std::string::npos) {
        if (auto it = environment.find(item.text); it != environment.end()) item.text += "=" + it->second;
      }
      kept.push_back(std::move(item));
    }
    env->items = std::move(kept);
  }
}

}  // namespace detail

Result<Node> load_model(const LoadOptions& options, std::vector<std::string>* warnings) {
  detail::Loader loader(options);
  auto model = loader.load_model();
  if (warnings) *warnings = loader.warnings();
  return model;
}

Result<LoadedProject> load_project(const LoadOptions& options) {
  detail::Loader loader(options);
  Node model = BERTH_TRY(loader.load_model());
  LoadedProject loaded;
  DecodeContext decode;
  decode.project_name = loader.project_name();
  decode.working_dir = options.working_dir;
  decode.environment = &loader.environment();
  decode.warnings = &loader.warnings();
  Project project = BERTH_TRY(decode_project(model, decode));
  project.compose_files = loader.compose_files();
  project.environment = loader.environment();

  apply_profiles(project, options.profiles);
  if (options.check_consistency) BERTH_TRY(check_consistency(project, model));
  if (!options.services.empty()) {
    BERTH_TRY(enable_services(project, options.services));
    BERTH_TRY(select_services(project, options.services));
  }
  if (options.prune_unused_resources) prune_unused_resources(project);
  if (options.resolve_service_environment) {
    EnvironmentOptions environment;
    environment.files = options.files_access;
    environment.discard_env_files = options.discard_env_files;
    environment.model = &model;
    BERTH_TRY(resolve_service_environments(project, environment));
  }
  BERTH_TRY(resolve_label_files(project, options.files_access, options.discard_env_files, &model));
  loaded.project = std::move(project);
  loaded.warnings = std::move(loader.warnings());
  return loaded;
}

}  // namespace berth::compose
