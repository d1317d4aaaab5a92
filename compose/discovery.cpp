#include "compose/discovery.h"

#include "compose/dotenv.h"
#include "compose/paths.h"

namespace berth::compose {

const char* const kComposeFileNames[4] = {"compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"};
const char* const kOverrideFileNames[4] = {"compose.override.yml", "compose.override.yaml",
                                           "docker-compose.override.yml", "docker-compose.override.yaml"};

namespace {

std::string absolute(const std::string& cwd, const std::string& path) {
  if (is_absolute_path(path)) return clean_path(path);
  return join_path(cwd, path);
}

std::string base_name(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool truthy(const std::string& value) { return value == "1" || value == "true" || value == "TRUE" || value == "True"; }

class Resolver {
 public:
  Resolver(const ProjectRequest& request, const ProcessContext& process, const FileAccess& files,
           std::vector<std::string>* warnings)
      : request_(request), process_(process), files_(files), warnings_(warnings) {}

  Result<LoadOptions> run() {
    LoadOptions options;
    options.files_access = files_;
    environment_ = process_.environment;
    if (!environment_.count("PWD")) environment_["PWD"] = process_.cwd;
    for (const std::string& file : request_.files) config_paths_.push_back(file == "-" ? file : absolute(process_.cwd, file));

    BERTH_TRY(load_env_files());
    // COMPOSE_FILE (which .env may set) when no -f was given.
    if (config_paths_.empty()) {
      if (auto it = environment_.find("COMPOSE_FILE"); it != environment_.end() && !it->second.empty()) {
        std::string separator = ":";
        if (auto sep = environment_.find("COMPOSE_PATH_SEPARATOR"); sep != environment_.end() && !sep->second.empty())
          separator = sep->second;
        size_t start = 0;
        while (start <= it->second.size()) {
          size_t at = it->second.find(separator, start);
          std::string path = it->second.substr(start, at == std::string::npos ? std::string::npos : at - start);
          if (!path.empty()) {
            std::string resolved = path == "-" ? path : absolute(process_.cwd, path);
            if (resolved != "-" && !files_.is_file(resolved))
              return Error("COMPOSE_FILE names " + path + ", which does not exist");
            config_paths_.push_back(resolved);
          }
          if (at == std::string::npos) break;
          start = at + separator.size();
        }
      }
    }
    if (config_paths_.empty()) BERTH_TRY(discover_default_files());
    if (config_paths_.empty())
      return Error("no configuration file provided: not found (looked for compose.yaml, compose.yml, "
                   "docker-compose.yml or docker-compose.yaml in " + working_dir() + " and its parents)");
    // The project directory may have changed with the files found: read its .env too.
    BERTH_TRY(load_env_files());

    options.working_dir = working_dir();
    for (const std::string& path : config_paths_) {
      ComposeFileSource source;
      source.path = path;
      if (path == "-") {
        if (!process_.read_stdin) return Error("-f -: no standard input to read");
        source.content = BERTH_TRY(process_.read_stdin());
      }
      options.files.push_back(std::move(source));
    }
    options.environment = environment_;
    if (!request_.profiles.empty()) {
      options.profiles = request_.profiles;
    } else if (auto it = environment_.find("COMPOSE_PROFILES"); it != environment_.end()) {
      size_t start = 0;
      while (start <= it->second.size()) {
        size_t comma = it->second.find(',', start);
        std::string profile = it->second.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        size_t first = profile.find_first_not_of(" \t"), last = profile.find_last_not_of(" \t");
        profile = first == std::string::npos ? "" : profile.substr(first, last - first + 1);
        if (!profile.empty()) options.profiles.push_back(profile);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
    if (!request_.project_name.empty()) {
      if (!is_valid_project_name(request_.project_name))
        return Error("invalid project name " + request_.project_name +
                     ": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as "
                     "start with a letter or number");
      options.project_name = request_.project_name;
      options.project_name_explicit = true;
    } else if (auto it = environment_.find("COMPOSE_PROJECT_NAME"); it != environment_.end() && !it->second.empty()) {
      options.project_name = it->second;
      options.project_name_explicit = true;
    } else {
      options.project_name = normalize_project_name(base_name(options.working_dir));
    }
    options.services = request_.services;
    return options;
  }

 private:
  // GetWorkingDir: --project-directory, else the first compose file's directory, else the current directory.
  std::string working_dir() const {
    if (!request_.project_directory.empty()) return absolute(process_.cwd, request_.project_directory);
    for (const std::string& path : config_paths_)
      if (path != "-") return parent_directory(path);
    return process_.cwd;
  }

  Result<void> load_env_files() {
    std::vector<std::string> env_files;
    if (!request_.env_files.empty()) {
      for (const std::string& file : request_.env_files) env_files.push_back(absolute(process_.cwd, file));
    } else {
      auto disabled = process_.environment.find("COMPOSE_DISABLE_ENV_FILE");
      if (disabled != process_.environment.end() && truthy(disabled->second)) return {};
      std::string dot_env = join_path(working_dir(), ".env");
      if (files_.is_file(dot_env)) env_files.push_back(dot_env);
    }
    EnvMap values;
    for (const std::string& file : env_files) {
      if (!files_.is_file(file)) return Error("couldn't find env file: " + file);
      std::string content = BERTH_TRY(files_.read(file));
      const Mapping& current = environment_;
      VariableLookup lookup = [&current](std::string_view name) -> std::optional<std::string> {
        auto it = current.find(std::string(name));
        if (it == current.end()) return std::nullopt;
        return it->second;
      };
      BERTH_TRY(parse_dotenv(content, values, lookup, file));
    }
    // The process environment wins over .env.
    for (auto& [key, value] : values) environment_.emplace(key, value);
    return {};
  }

  Result<void> discover_default_files() {
    std::string directory =
        request_.project_directory.empty() ? process_.cwd : absolute(process_.cwd, request_.project_directory);
    while (true) {
      std::vector<std::string> candidates;
      for (const char* name : kComposeFileNames)
        if (files_.is_file(join_path(directory, name))) candidates.push_back(join_path(directory, name));
      if (!candidates.empty()) {
        if (candidates.size() > 1 && warnings_)
          warnings_->push_back("Found multiple config files with supported names: " + join(candidates) + "; using " +
                               candidates.front());
        config_paths_.push_back(candidates.front());
        std::vector<std::string> overrides;
        for (const char* name : kOverrideFileNames)
          if (files_.is_file(join_path(directory, name))) overrides.push_back(join_path(directory, name));
        if (!overrides.empty()) {
          if (overrides.size() > 1 && warnings_)
            warnings_->push_back("Found multiple override files with supported names: " + join(overrides) +
                                 "; using " + overrides.front());
          config_paths_.push_back(overrides.front());
        }
        return {};
      }
      std::string parent = parent_directory(directory);
      if (parent == directory) return {};
      directory = parent;
    }
  }

  static std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const std::string& part : parts) out += (out.empty() ? "" : ", ") + part;
    return out;
  }

  const ProjectRequest& request_;
  const ProcessContext& process_;
  const FileAccess& files_;
  std::vector<std::string>* warnings_;
  Mapping environment_;
  std::vector<std::string> config_paths_;
};

}  // namespace

Result<LoadOptions> resolve_project_request(const ProjectRequest& request, const ProcessContext& process,
                                            const FileAccess& files, std::vector<std::string>* warnings) {
  Resolver resolver(request, process, files, warnings);
  return resolver.run();
}

}  // namespace berth::compose
