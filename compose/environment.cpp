#include "compose/environment.h"

#include "compose/consistency.h"
#include "compose/diagnostic.h"
#include "compose/dotenv.h"

namespace berth::compose {

namespace {

Error located(const Node* model, const std::vector<std::string>& path, const std::string& message) {
  KeyPath key_path;
  for (const std::string& part : path) {
    if (!part.empty() && part[0] == '[') key_path.push_index(std::strtoul(part.c_str() + 1, nullptr, 10));
    else key_path.push(part);
  }
  return located_error(model ? locate(*model, path) : SourceMark{}, key_path, message);
}

}  // namespace

Result<void> resolve_service_environments(Project& project, const EnvironmentOptions& options) {
  const Mapping& outer = project.environment;
  for (auto& [name, service] : project.services) {
    // Entries without a value take the project's value when it has one.
    for (auto& [key, value] : service.environment) {
      if (value) continue;
      if (auto it = outer.find(key); it != outer.end()) value = it->second;
    }
    EnvMap from_files;
    for (size_t i = 0; i < service.env_file.size(); ++i) {
      const EnvFile& file = service.env_file[i];
      std::vector<std::string> path{"services", name, "env_file", "[" + std::to_string(i) + "]"};
      if (!options.files.is_file(file.path)) {
        if (file.required) return located(options.model, path, "env file " + file.path + " not found");
        continue;
      }
      if (!file.format.empty() && file.format != ".env")
        return located(options.model, path, "unsupported env_file format " + quote(file.format));
      auto content = options.files.read(file.path);
      if (!content) return located(options.model, path, content.error().message());
      // Variables in the file resolve against the project's environment first, then the service's own.
      const OptionalMapping& own = service.environment;
      VariableLookup lookup = [&outer, &own](std::string_view variable) -> std::optional<std::string> {
        if (auto it = outer.find(std::string(variable)); it != outer.end()) return it->second;
        if (auto it = own.find(std::string(variable)); it != own.end() && it->second) return *it->second;
        return std::nullopt;
      };
      auto parsed = parse_dotenv(*content, from_files, lookup, file.path);
      if (!parsed) return located(options.model, path, parsed.error().message());
    }
    OptionalMapping environment;
    for (auto& [key, value] : from_files) environment[key] = value;
    for (auto& [key, value] : service.environment) environment[key] = value;
    service.environment = std::move(environment);
    if (options.discard_env_files) service.env_file.clear();
  }
  return {};
}

Result<void> resolve_label_files(Project& project, const FileAccess& files, bool discard_label_files,
                                 const Node* model) {
  for (auto& [name, service] : project.services) {
    EnvMap labels;
    for (size_t i = 0; i < service.label_file.size(); ++i) {
      const std::string& file = service.label_file[i];
      std::vector<std::string> path{"services", name, "label_file", "[" + std::to_string(i) + "]"};
      if (!files.is_file(file)) return located(model, path, "label file " + file + " not found");
      auto content = files.read(file);
      if (!content) return located(model, path, content.error().message());
      EnvMap values;
      VariableLookup lookup = [&labels](std::string_view variable) -> std::optional<std::string> {
        if (auto it = labels.find(std::string(variable)); it != labels.end()) return it->second;
        return std::nullopt;
      };
      auto parsed = parse_dotenv(*content, values, lookup, file);
      if (!parsed) return located(model, path, parsed.error().message());
      for (auto& [key, value] : values) labels[key] = value;
    }
    for (auto& [key, value] : service.labels) labels[key] = value;
    if (!labels.empty()) service.labels = Mapping(labels.begin(), labels.end());
    if (discard_label_files) service.label_file.clear();
  }
  return {};
}

}  // namespace berth::compose
