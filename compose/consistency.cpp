#include "compose/consistency.h"

#include <algorithm>
#include <functional>
#include <set>

#include "compose/diagnostic.h"
#include "compose/port_spec.h"

namespace berth::compose {

SourceMark locate(const Node& model, const std::vector<std::string>& path) {
  const Node* node = &model;
  SourceMark mark = model.mark;
  for (const std::string& part : path) {
    if (!part.empty() && part[0] == '[' && node->is_sequence()) {
      size_t index = std::strtoul(part.c_str() + 1, nullptr, 10);
      if (index >= node->items.size()) break;
      node = &node->items[index];
      if (node->mark.known()) mark = node->mark;
      continue;
    }
    const MapEntry* found = nullptr;
    if (node->is_mapping())
      for (const MapEntry& entry : node->entries)
        if (entry.key == part) found = &entry;
    if (!found) break;
    if (found->key_mark.known()) mark = found->key_mark;
    node = &found->value;
  }
  return mark;
}

namespace {

bool has_profile(const ServiceConfig& service, const std::vector<std::string>& profiles) {
  if (service.profiles.empty()) return true;
  for (const std::string& enabled : profiles) {
    if (enabled == "*") return true;
    if (std::find(service.profiles.begin(), service.profiles.end(), enabled) != service.profiles.end()) return true;
  }
  return false;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += separator;
    out += parts[i];
  }
  return out;
}

class Checker {
 public:
  Checker(const Project& project, const Node& model) : project_(project), model_(model) {}

  Result<void> run() {
    std::set<std::string> container_names;
    std::map<std::string, std::string> container_name_owner;
    for (const auto& [name, service] : project_.services) {
      BERTH_TRY(check_service(name, service));
      if (!service.container_name.empty()) {
        auto [it, inserted] = container_name_owner.emplace(service.container_name, name);
        if (!inserted)
          return fail({"services", name, "container_name"},
                      "container name " + quote(service.container_name) + " is already in use by service " + it->second);
      }
    }
    for (const auto& [name, secret] : project_.secrets) {
      if (secret.external) continue;
      if (secret.file.empty() && secret.environment.empty())
        return fail({"secrets", name}, "secret " + quote(name) + " must declare either `file` or `environment`");
    }
    return check_cycles();
  }

 private:
  Error fail(const std::vector<std::string>& path, std::string_view message) {
    KeyPath key_path;
    for (const std::string& part : path) {
      if (!part.empty() && part[0] == '[') key_path.push_index(std::strtoul(part.c_str() + 1, nullptr, 10));
      else key_path.push(part);
    }
    return located_error(locate(model_, path), key_path, message);
  }

  Result<void> check_service(const std::string& name, const ServiceConfig& s) {
    const std::vector<std::string> at{"services", name};
    auto sub = [&](std::initializer_list<std::string> more) {
      std::vector<std::string> path = at;
      path.insert(path.end(), more);
      return path;
    };
    if (!s.build && s.image.empty() && !s.provider)
      return fail(at, "service " + quote(name) + " has neither an image nor a build context specified");
    if (s.build) {
      if (!s.build->dockerfile_inline.empty() && !s.build->dockerfile.empty())
        return fail(sub({"build"}), "dockerfile and dockerfile_inline are mutually exclusive");
      for (const auto& [context_name, context] : s.build->additional_contexts) {
        if (context.rfind("service:", 0) != 0) continue;
        std::string target = context.substr(8);
        auto it = project_.services.find(target);
        if (it == project_.services.end())
          return fail(sub({"build", "additional_contexts", context_name}),
                      "additional context " + context_name + " refers to unknown service " + quote(target));
        if (!it->second.build)
          return fail(sub({"build", "additional_contexts", context_name}),
                      "additional context " + context_name + " refers to service " + quote(target) +
                          ", which has no build section");
      }
      if (!s.build->platforms.empty() && !s.platform.empty() &&
          std::find(s.build->platforms.begin(), s.build->platforms.end(), s.platform) == s.build->platforms.end())
        return fail(sub({"build", "platforms"}), "build.platforms must include the service's platform " + quote(s.platform));
    }
    if (!s.network_mode.empty() && !s.networks.empty())
      return fail(sub({"network_mode"}), "network_mode and networks are mutually exclusive");
    for (const auto& [network, options] : s.networks) {
      if (!project_.networks.count(network))
        return fail(sub({"networks", network}), "service " + quote(name) + " refers to undefined network " + quote(network));
    }
    if (s.healthcheck && !s.healthcheck->test.empty()) {
      const std::string& kind = s.healthcheck->test[0];
      if (kind != "CMD" && kind != "CMD-SHELL" && kind != "NONE")
        return fail(sub({"healthcheck", "test"}), "healthcheck.test must start with \"CMD\", \"CMD-SHELL\" or \"NONE\"");
    }
    for (const auto& [dependency, options] : s.depends_on) {
      if (project_.services.count(dependency)) continue;
      auto disabled = project_.disabled_services.find(dependency);
      if (disabled != project_.disabled_services.end()) {
        if (!options.required) continue;
        return fail(sub({"depends_on", dependency}),
                    "service " + quote(name) + " depends on service " + quote(dependency) +
                        ", which is disabled (enable it with profile " + join(disabled->second.profiles, ", ") + ")");
      }
      return fail(sub({"depends_on", dependency}),
                  "service " + quote(name) + " depends on undefined service " + quote(dependency));
    }
    if (s.network_mode.rfind("service:", 0) == 0) {
      std::string target = s.network_mode.substr(8);
      if (!project_.services.count(target))
        return fail(sub({"network_mode"}), "service " + quote(target) + " not found for network_mode 'service:" + target + "'");
    }
    for (size_t i = 0; i < s.volumes.size(); ++i) {
      const ServiceVolume& volume = s.volumes[i];
      if (volume.type == "volume" && !volume.source.empty() && !project_.volumes.count(volume.source))
        return fail(sub({"volumes", "[" + std::to_string(i) + "]"}),
                    "service " + quote(name) + " refers to undefined volume " + quote(volume.source));
    }
    if (s.build) {
      for (size_t i = 0; i < s.build->secrets.size(); ++i)
        if (!project_.secrets.count(s.build->secrets[i].source))
          return fail(sub({"build", "secrets", "[" + std::to_string(i) + "]"}),
                      "service " + quote(name) + " refers to undefined build secret " + quote(s.build->secrets[i].source));
    }
    for (size_t i = 0; i < s.configs.size(); ++i)
      if (!project_.configs.count(s.configs[i].source))
        return fail(sub({"configs", "[" + std::to_string(i) + "]"}),
                    "service " + quote(name) + " refers to undefined config " + quote(s.configs[i].source));
    for (const auto& [model, options] : s.models)
      if (!project_.models.count(model))
        return fail(sub({"models", model}), "service " + quote(name) + " refers to undefined model " + quote(model));
    for (size_t i = 0; i < s.secrets.size(); ++i)
      if (!project_.secrets.count(s.secrets[i].source))
        return fail(sub({"secrets", "[" + std::to_string(i) + "]"}),
                    "service " + quote(name) + " refers to undefined secret " + quote(s.secrets[i].source));
    if (s.scale && s.deploy && s.deploy->replicas && *s.scale != *s.deploy->replicas)
      return fail(sub({"scale"}), "can't set distinct values on 'scale' and 'deploy.replicas'");
    if (s.scale && *s.scale < 0) return fail(sub({"scale"}), "must be greater than or equal to 0");
    if (s.deploy && s.deploy->replicas && *s.deploy->replicas < 0)
      return fail(sub({"deploy", "replicas"}), "must be greater than or equal to 0");
    const Resource* limits = s.deploy && s.deploy->resources.limits ? &*s.deploy->resources.limits : nullptr;
    const Resource* reservations =
        s.deploy && s.deploy->resources.reservations ? &*s.deploy->resources.reservations : nullptr;
    if (s.cpus != 0 && limits && limits->cpus != s.cpus)
      return fail(sub({"cpus"}), "can't set distinct values on 'cpus' and 'deploy.resources.limits.cpus'");
    if (s.mem_limit != 0 && limits && limits->memory != s.mem_limit)
      return fail(sub({"mem_limit"}), "can't set distinct values on 'mem_limit' and 'deploy.resources.limits.memory'");
    if (s.mem_reservation != 0 && reservations && reservations->memory != s.mem_reservation)
      return fail(sub({"mem_reservation"}),
                  "can't set distinct values on 'mem_reservation' and 'deploy.resources.reservations.memory'");
    if (s.pids_limit != 0 && limits && limits->pids != s.pids_limit)
      return fail(sub({"pids_limit"}), "can't set distinct values on 'pids_limit' and 'deploy.resources.limits.pids'");
    if (s.replicas() > 1 && !s.container_name.empty())
      return fail(sub({"container_name"}), std::string("can't set container_name and ") +
                                               (s.scale ? "scale" : "deploy.replicas") +
                                               " as container name must be unique");
    if (s.develop) {
      for (size_t i = 0; i < s.develop->watch.size(); ++i) {
        const WatchRule& rule = s.develop->watch[i];
        if (rule.target.empty() && rule.action != "rebuild" && rule.action != "restart")
          return fail(sub({"develop", "watch", "[" + std::to_string(i) + "]"}),
                      "target is required for non-rebuild actions");
      }
    }
    for (size_t i = 0; i < s.ports.size(); ++i) {
      const std::string& published = s.ports[i].published;
      if (!published.empty() && !parse_port_range(published))
        return fail(sub({"ports", "[" + std::to_string(i) + "]"}), "invalid published port " + quote(published));
    }
    std::map<std::string, std::string> mounts;
    for (size_t i = 0; i < s.tmpfs.size(); ++i) {
      std::string target = s.tmpfs[i].substr(0, s.tmpfs[i].find(':'));
      std::string where = "services." + name + ".tmpfs[" + std::to_string(i) + "]";
      auto [it, inserted] = mounts.emplace(target, where);
      if (!inserted)
        return fail(sub({"tmpfs", "[" + std::to_string(i) + "]"}), "target " + target + " already mounted as " + it->second);
    }
    for (size_t i = 0; i < s.volumes.size(); ++i) {
      std::string where = "services." + name + ".volumes[" + std::to_string(i) + "]";
      auto [it, inserted] = mounts.emplace(s.volumes[i].target, where);
      if (!inserted)
        return fail(sub({"volumes", "[" + std::to_string(i) + "]"}),
                    "target " + s.volumes[i].target + " already mounted as " + it->second);
    }
    return {};
  }

  // depends_on cycles among enabled services, reported with the cycle: "a -> b -> c -> a". Iterative, so that a
  // long chain of services cannot exhaust the stack.
  Result<void> check_cycles() {
    std::map<std::string, int> state;  // 0 unvisited, 1 on the current path, 2 done
    struct Frame {
      const std::string* name;
      std::vector<const std::string*> dependencies;
      size_t next = 0;
    };
    auto frame_for = [&](const std::string& name) {
      Frame frame{&name, {}, 0};
      for (const auto& [dependency, options] : project_.services.at(name).depends_on)
        if (project_.services.count(dependency)) frame.dependencies.push_back(&dependency);
      return frame;
    };
    for (const auto& [root, service] : project_.services) {
      if (state[root] != 0) continue;
      std::vector<Frame> stack{frame_for(root)};
      state[root] = 1;
      while (!stack.empty()) {
        Frame& top = stack.back();
        if (top.next == top.dependencies.size()) {
          state[*top.name] = 2;
          stack.pop_back();
          continue;
        }
        const std::string& dependency = *top.dependencies[top.next++];
        if (state[dependency] == 1) {
          std::vector<std::string> cycle;
          bool in_cycle = false;
          for (const Frame& f : stack) {
            in_cycle = in_cycle || *f.name == dependency;
            if (in_cycle) cycle.push_back(*f.name);
          }
          cycle.push_back(dependency);
          return fail({"services", *top.name, "depends_on", dependency},
                      "dependency cycle detected: " + join(cycle, " -> "));
        }
        if (state[dependency] == 0) {
          state[dependency] = 1;
          stack.push_back(frame_for(dependency));
        }
      }
    }
    return {};
  }

  const Project& project_;
  const Node& model_;
};

}  // namespace

void apply_profiles(Project& project, const std::vector<std::string>& profiles) {
  std::map<std::string, ServiceConfig> all = std::move(project.services);
  for (auto& [name, service] : project.disabled_services) all.emplace(name, std::move(service));
  project.services.clear();
  project.disabled_services.clear();
  for (auto& [name, service] : all) {
    if (has_profile(service, profiles)) project.services.emplace(name, std::move(service));
    else project.disabled_services.emplace(name, std::move(service));
  }
  project.profiles = profiles;
}

Result<void> enable_services(Project& project, const std::vector<std::string>& names) {
  std::vector<std::string> profiles = project.profiles;
  for (const std::string& name : names) {
    if (project.services.count(name)) continue;
    auto it = project.disabled_services.find(name);
    if (it == project.disabled_services.end()) continue;  // reported by select_services
    profiles.insert(profiles.end(), it->second.profiles.begin(), it->second.profiles.end());
  }
  apply_profiles(project, profiles);
  return {};
}

Result<void> select_services(Project& project, const std::vector<std::string>& names) {
  std::set<std::string> selected;
  std::vector<std::pair<std::string, bool>> pending;  // name, required
  for (auto it = names.rbegin(); it != names.rend(); ++it) pending.emplace_back(*it, true);
  while (!pending.empty()) {
    auto [name, required] = std::move(pending.back());
    pending.pop_back();
    auto it = project.services.find(name);
    if (it == project.services.end()) {
      if (!required) continue;
      return Error("no such service: " + name);
    }
    if (!selected.insert(name).second) continue;
    for (const auto& [dependency, options] : it->second.depends_on) pending.emplace_back(dependency, options.required);
  }
  for (auto it = project.services.begin(); it != project.services.end();) {
    if (selected.count(it->first)) {
      ++it;
      continue;
    }
    project.disabled_services.insert(std::move(*it));
    it = project.services.erase(it);
  }
  for (auto& [name, service] : project.services)
    for (auto it = service.depends_on.begin(); it != service.depends_on.end();)
      it = selected.count(it->first) ? std::next(it) : service.depends_on.erase(it);
  return {};
}

void prune_unused_resources(Project& project) {
  std::set<std::string> networks, volumes, secrets, configs, models;
  for (const auto& [name, service] : project.services) {
    for (const auto& [network, options] : service.networks) networks.insert(network);
    for (const ServiceVolume& volume : service.volumes)
      if (volume.type == "volume" && !volume.source.empty()) volumes.insert(volume.source);
    for (const FileReference& secret : service.secrets) secrets.insert(secret.source);
    if (service.build)
      for (const FileReference& secret : service.build->secrets) secrets.insert(secret.source);
    for (const FileReference& config : service.configs) configs.insert(config.source);
    for (const auto& [model, options] : service.models) models.insert(model);
  }
  auto keep = [](auto& resources, const std::set<std::string>& used) {
    for (auto it = resources.begin(); it != resources.end();) it = used.count(it->first) ? std::next(it) : resources.erase(it);
  };
  keep(project.networks, networks);
  keep(project.volumes, volumes);
  keep(project.secrets, secrets);
  keep(project.configs, configs);
  keep(project.models, models);
}

Result<void> check_consistency(const Project& project, const Node& model) {
  Checker checker(project, model);
  return checker.run();
}

}  // namespace berth::compose
