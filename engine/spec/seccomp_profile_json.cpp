// Reading a Docker-format seccomp profile (`--security-opt seccomp=FILE`; moby/profiles seccomp/seccomp.go
// types) into plain data. Unknown fields are ignored, as Docker's JSON decoding does.
#include <nlohmann/json.hpp>

#include "engine/spec/seccomp.h"

namespace berth::spec::seccomp {
namespace {

using Json = nlohmann::json;

Error type_error(const std::string& where, std::string_view expected) {
  return Error("seccomp profile: " + where + ": expected " + std::string(expected));
}

Result<std::string> read_string(const Json& object, const char* key, const std::string& where) {
  auto found = object.find(key);
  if (found == object.end() || found->is_null()) return std::string();
  if (!found->is_string()) return unexpected(type_error(where + key, "a string"));
  return found->get<std::string>();
}

Result<std::vector<std::string>> read_strings(const Json& object, const char* key, const std::string& where) {
  std::vector<std::string> values;
  auto found = object.find(key);
  if (found == object.end() || found->is_null()) return values;
  if (!found->is_array()) return unexpected(type_error(where + key, "an array of strings"));
  for (const auto& item : *found) {
    if (!item.is_string()) return unexpected(type_error(where + key, "an array of strings"));
    values.push_back(item.get<std::string>());
  }
  return values;
}

Result<std::optional<uint64_t>> read_unsigned(const Json& object, const char* key, const std::string& where) {
  auto found = object.find(key);
  if (found == object.end() || found->is_null()) return std::optional<uint64_t>();
  if (found->is_number_unsigned()) return std::optional<uint64_t>(found->get<uint64_t>());
  if (found->is_number_integer() && found->get<int64_t>() >= 0)
    return std::optional<uint64_t>(static_cast<uint64_t>(found->get<int64_t>()));
  return unexpected(type_error(where + key, "a non-negative integer"));
}

Result<std::optional<uint32_t>> read_errno(const Json& object, const char* key, const std::string& where) {
  auto value = BERTH_TRY(read_unsigned(object, key, where));
  if (!value) return std::optional<uint32_t>();
  if (*value > 0xffffffffULL) return unexpected(type_error(where + key, "an errno value"));
  return std::optional<uint32_t>(static_cast<uint32_t>(*value));
}

// "<kernel>.<major>", e.g. "4.8"; "" means no minimum.
Result<std::optional<KernelVersion>> read_min_kernel(const Json& object, const std::string& where) {
  auto text = BERTH_TRY(read_string(object, "minKernel", where));
  if (text.empty()) return std::optional<KernelVersion>();
  auto invalid = [&] {
    return unexpected(Error("seccomp profile: " + where + "minKernel: invalid kernel version \"" + text +
                            "\", expected \"<kernel>.<major>\""));
  };
  auto dot = text.find('.');
  if (dot == std::string::npos || text.find('.', dot + 1) != std::string::npos) return invalid();
  auto version = parse_kernel_version(text);
  if (!version || std::to_string(version->major) + "." + std::to_string(version->minor) != text) return invalid();
  if (version->major == 0 && version->minor == 0) return invalid();
  return std::optional<KernelVersion>(*version);
}

Result<std::optional<Condition>> read_condition(const Json& rule, const char* key, const std::string& where) {
  auto found = rule.find(key);
  if (found == rule.end() || found->is_null()) return std::optional<Condition>();
  const std::string inner = where + key + ".";
  if (!found->is_object()) return unexpected(type_error(where + key, "an object"));
  Condition condition;
  condition.caps = BERTH_TRY(read_strings(*found, "caps", inner));
  condition.arches = BERTH_TRY(read_strings(*found, "arches", inner));
  condition.min_kernel = BERTH_TRY(read_min_kernel(*found, inner));
  return std::optional<Condition>(std::move(condition));
}

Result<ArgCondition> read_arg(const Json& arg, const std::string& where) {
  if (!arg.is_object()) return unexpected(type_error(where, "an object"));
  ArgCondition condition;
  auto index = BERTH_TRY(read_unsigned(arg, "index", where + "."));
  if (index && *index > 5) return unexpected(Error("seccomp profile: " + where + ".index: must be 0..5"));
  condition.index = static_cast<uint32_t>(index.value_or(0));
  condition.value = BERTH_TRY(read_unsigned(arg, "value", where + ".")).value_or(0);
  condition.value_two = BERTH_TRY(read_unsigned(arg, "valueTwo", where + ".")).value_or(0);
  condition.op = BERTH_TRY(read_string(arg, "op", where + "."));
  if (condition.op.empty()) return unexpected(Error("seccomp profile: " + where + ".op: missing"));
  return condition;
}

Result<ConditionalRule> read_rule(const Json& json, const std::string& where) {
  if (!json.is_object()) return unexpected(type_error(where, "an object"));
  const std::string prefix = where + ".";
  ConditionalRule rule;
  auto name = BERTH_TRY(read_string(json, "name", prefix));
  rule.rule.names = BERTH_TRY(read_strings(json, "names", prefix));
  if (!name.empty()) {
    if (!rule.rule.names.empty())
      return unexpected(Error("seccomp profile: " + where +
                              ": both 'name' and 'names' are specified, use either 'name' or 'names'"));
    rule.rule.names.push_back(name);
  }
  rule.rule.action = BERTH_TRY(read_string(json, "action", prefix));
  rule.rule.errno_ret = BERTH_TRY(read_errno(json, "errnoRet", prefix));
  if (auto args = json.find("args"); args != json.end() && !args->is_null()) {
    if (!args->is_array()) return unexpected(type_error(prefix + "args", "an array"));
    for (size_t i = 0; i < args->size(); ++i)
      rule.rule.args.push_back(BERTH_TRY(read_arg((*args)[i], prefix + "args[" + std::to_string(i) + "]")));
  }
  rule.comment = BERTH_TRY(read_string(json, "comment", prefix));
  rule.includes = BERTH_TRY(read_condition(json, "includes", prefix));
  rule.excludes = BERTH_TRY(read_condition(json, "excludes", prefix));
  return rule;
}

}  // namespace

Result<DockerProfile> parse_docker_profile(std::string_view json_text) {
  Json json;
  try {
    json = Json::parse(json_text.begin(), json_text.end());
  } catch (const nlohmann::json::parse_error& error) {
    // what() carries the byte position and the offending token.
    return unexpected(Error(std::string("decoding seccomp profile failed: ") + error.what()));
  }
  if (!json.is_object()) return unexpected(Error("decoding seccomp profile failed: expected a JSON object"));

  DockerProfile profile;
  profile.default_action = BERTH_TRY(read_string(json, "defaultAction", ""));
  profile.default_errno_ret = BERTH_TRY(read_errno(json, "defaultErrnoRet", ""));
  profile.architectures = BERTH_TRY(read_strings(json, "architectures", ""));
  profile.flags = BERTH_TRY(read_strings(json, "flags", ""));
  profile.listener_path = BERTH_TRY(read_string(json, "listenerPath", ""));
  profile.listener_metadata = BERTH_TRY(read_string(json, "listenerMetadata", ""));

  if (auto arch_map = json.find("archMap"); arch_map != json.end() && !arch_map->is_null()) {
    if (!arch_map->is_array()) return unexpected(type_error("archMap", "an array"));
    for (size_t i = 0; i < arch_map->size(); ++i) {
      const auto& entry = (*arch_map)[i];
      const std::string where = "archMap[" + std::to_string(i) + "]";
      if (!entry.is_object()) return unexpected(type_error(where, "an object"));
      ArchitectureGroup group;
      group.architecture = BERTH_TRY(read_string(entry, "architecture", where + "."));
      group.sub_architectures = BERTH_TRY(read_strings(entry, "subArchitectures", where + "."));
      profile.arch_map.push_back(std::move(group));
    }
  }
  if (auto syscalls = json.find("syscalls"); syscalls != json.end() && !syscalls->is_null()) {
    if (!syscalls->is_array()) return unexpected(type_error("syscalls", "an array"));
    for (size_t i = 0; i < syscalls->size(); ++i)
      profile.syscalls.push_back(BERTH_TRY(read_rule((*syscalls)[i], "syscalls[" + std::to_string(i) + "]")));
  }
  return profile;
}

}  // namespace berth::spec::seccomp
