#include "engine/runtime/oci_spec.h"

#include <sched.h>
#include <seccomp.h>
#include <sys/mount.h>
#include <sys/personality.h>

#include <algorithm>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "engine/runtime/names.h"

namespace berth::runtime {
namespace {

using Json = nlohmann::json;

// A JSON field of the expected type, or an error naming it. Absent and null fields are "not set".
template <class T>
Result<std::optional<T>> optional_field(const Json& object, const char* key, std::string_view where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::optional<T>();
  try {
    return std::optional<T>(it->get<T>());
  } catch (const Json::exception&) {
    return unexpected(Error(fmt::format("{}.{}: unexpected type {}", where, key, it->type_name()), EINVAL));
  }
}

template <class T>
Result<T> field_or(const Json& object, const char* key, std::string_view where, T fallback) {
  auto value = BERTH_TRY(optional_field<T>(object, key, where));
  return value ? *value : fallback;
}

Result<const Json*> optional_object(const Json& object, const char* key, std::string_view where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return static_cast<const Json*>(nullptr);
  if (!it->is_object()) return unexpected(Error(fmt::format("{}.{}: expected an object", where, key), EINVAL));
  return &*it;
}

Result<const Json*> optional_array(const Json& object, const char* key, std::string_view where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return static_cast<const Json*>(nullptr);
  if (!it->is_array()) return unexpected(Error(fmt::format("{}.{}: expected an array", where, key), EINVAL));
  return &*it;
}

std::string absolute_against(const std::string& bundle, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  if (bundle.empty()) return path;
  std::string joined = bundle;
  if (joined.back() != '/') joined += '/';
  joined += path;
  return joined;
}

// --- mount options -------------------------------------------------------------------------------------------

struct FlagOption {
  std::string_view name;
  bool clear;          // "rw" clears MS_RDONLY
  unsigned long flag;  // MS_*
};

constexpr FlagOption kFlagOptions[] = {
    {"defaults", false, 0},
    {"ro", false, MS_RDONLY},           {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},       {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},         {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},       {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},       {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},     {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME}, {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},   {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME}, {"nostrictatime", true, MS_STRICTATIME},
    {"lazytime", false, MS_LAZYTIME},   {"nolazytime", true, MS_LAZYTIME},
    {"silent", false, MS_SILENT},       {"loud", true, MS_SILENT},
    {"nosymfollow", false, MS_NOSYMFOLLOW}, {"symfollow", true, MS_NOSYMFOLLOW},
};

struct PropagationOption {
  std::string_view name;
  unsigned long flags;
};

constexpr PropagationOption kPropagationOptions[] = {
    {"private", MS_PRIVATE},         {"rprivate", MS_PRIVATE | MS_REC}, {"shared", MS_SHARED},
    {"rshared", MS_SHARED | MS_REC}, {"slave", MS_SLAVE},               {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE},   {"runbindable", MS_UNBINDABLE | MS_REC},
};

// Recursive attributes ("rro" ...), applied with mount_setattr(AT_RECURSIVE). `mask` is what must be cleared first
// (the atime field is a value, not a bit).
struct RecursiveOption {
  std::string_view name;
  bool clear;
  uint64_t attribute;
  uint64_t mask;
};

constexpr RecursiveOption kRecursiveOptions[] = {
    {"rro", false, MOUNT_ATTR_RDONLY, 0},          {"rrw", true, MOUNT_ATTR_RDONLY, 0},
    {"rnosuid", false, MOUNT_ATTR_NOSUID, 0},      {"rsuid", true, MOUNT_ATTR_NOSUID, 0},
    {"rnodev", false, MOUNT_ATTR_NODEV, 0},        {"rdev", true, MOUNT_ATTR_NODEV, 0},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC, 0},      {"rexec", true, MOUNT_ATTR_NOEXEC, 0},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME, 0}, {"rdiratime", true, MOUNT_ATTR_NODIRATIME, 0},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW, 0}, {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW, 0},
    {"rrelatime", false, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
    {"rnoatime", false, MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME},
    {"rstrictatime", false, MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
};

// --- seccomp names ---------------------------------------------------------------------------------------------

struct NamedValue {
  std::string_view name;
  uint32_t value;
};

constexpr NamedValue kSeccompArches[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},           {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},           {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},   {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},     {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},     {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32}, {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},       {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},         {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},     {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

constexpr NamedValue kSeccompOperators[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

constexpr NamedValue kSeccompFlags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", 1u << 0},
    {"SECCOMP_FILTER_FLAG_LOG", 1u << 1},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", 1u << 2},
};

Result<SeccompSpec> parse_seccomp(const Json& object) {
  constexpr std::string_view where = "linux.seccomp";
  SeccompSpec spec;
  auto default_name = BERTH_TRY(optional_field<std::string>(object, "defaultAction", where));
  if (!default_name) return unexpected(Error("linux.seccomp.defaultAction is required", EINVAL));
  auto default_errno = BERTH_TRY(optional_field<uint32_t>(object, "defaultErrnoRet", where));
  spec.default_action = BERTH_TRY(seccomp_action_from_name(*default_name, default_errno));

  if (auto* arches = BERTH_TRY(optional_array(object, "architectures", where)))
    for (auto& arch : *arches) {
      if (!arch.is_string()) return unexpected(Error("linux.seccomp.architectures: expected strings", EINVAL));
      spec.architectures.push_back(BERTH_TRY(seccomp_arch_from_name(arch.get<std::string>())));
    }
  if (auto* flags = BERTH_TRY(optional_array(object, "flags", where)))
    for (auto& flag : *flags) {
      std::string name = flag.is_string() ? flag.get<std::string>() : "";
      auto known = std::find_if(std::begin(kSeccompFlags), std::end(kSeccompFlags),
                                [&](const NamedValue& entry) { return entry.name == name; });
      if (known == std::end(kSeccompFlags))
        return unexpected(Error(fmt::format("linux.seccomp.flags: unsupported flag \"{}\"", name), EINVAL));
      spec.filter_flags |= known->value;
    }
  if (object.contains("listenerPath") && !object["listenerPath"].is_null() &&
      !object["listenerPath"].get<std::string>().empty())
    return unexpected(Error("linux.seccomp.listenerPath: seccomp notification is not supported", EINVAL));

  if (auto* syscalls = BERTH_TRY(optional_array(object, "syscalls", where))) {
    for (auto& entry : *syscalls) {
      if (!entry.is_object()) return unexpected(Error("linux.seccomp.syscalls: expected objects", EINVAL));
      auto names = BERTH_TRY(optional_field<std::vector<std::string>>(entry, "names", "linux.seccomp.syscalls[]"));
      auto action_name = BERTH_TRY(optional_field<std::string>(entry, "action", "linux.seccomp.syscalls[]"));
      if (!action_name) return unexpected(Error("linux.seccomp.syscalls[].action is required", EINVAL));
      auto errno_ret = BERTH_TRY(optional_field<uint32_t>(entry, "errnoRet", "linux.seccomp.syscalls[]"));
      uint32_t action = BERTH_TRY(seccomp_action_from_name(*action_name, errno_ret));

      std::vector<SeccompCondition> conditions;
      if (auto* args = BERTH_TRY(optional_array(entry, "args", "linux.seccomp.syscalls[]")))
        for (auto& arg : *args) {
          SeccompCondition condition;
          condition.index = BERTH_TRY(field_or<unsigned>(arg, "index", "linux.seccomp.syscalls[].args[]", 0));
          condition.value = BERTH_TRY(field_or<uint64_t>(arg, "value", "linux.seccomp.syscalls[].args[]", 0));
          condition.value_two = BERTH_TRY(field_or<uint64_t>(arg, "valueTwo", "linux.seccomp.syscalls[].args[]", 0));
          auto op = BERTH_TRY(optional_field<std::string>(arg, "op", "linux.seccomp.syscalls[].args[]"));
          if (!op) return unexpected(Error("linux.seccomp.syscalls[].args[].op is required", EINVAL));
          condition.op = BERTH_TRY(seccomp_operator_from_name(*op));
          if (condition.index > 5)
            return unexpected(Error(fmt::format("linux.seccomp: argument index {} out of range", condition.index),
                                    EINVAL));
          conditions.push_back(condition);
        }

      // libseccomp takes at most one comparison per argument in a rule: if an argument repeats, each comparison
      // becomes its own rule (they then combine as OR), as runc does.
      bool repeated = false;
      for (size_t i = 0; i < conditions.size(); ++i)
        for (size_t j = i + 1; j < conditions.size(); ++j)
          if (conditions[i].index == conditions[j].index) repeated = true;
      for (auto& name : names.value_or(std::vector<std::string>{})) {
        if (!repeated) {
          spec.rules.push_back(SeccompRule{name, action, conditions});
        } else {
          for (auto& condition : conditions) spec.rules.push_back(SeccompRule{name, action, {condition}});
        }
      }
    }
  }
  return spec;
}

// --- process ---------------------------------------------------------------------------------------------------

Result<uint64_t> capability_mask(const Json& sets, const char* key) {
  uint64_t mask = 0;
  auto names = BERTH_TRY(optional_field<std::vector<std::string>>(sets, key, "process.capabilities"));
  for (auto& name : names.value_or(std::vector<std::string>{})) {
    auto number = capability_from_name(name);
    // Newer capability names than this table knows are dropped rather than refused: a spec written for a newer
    // kernel should still run (runc warns and ignores them too).
    if (!number) continue;
    mask |= uint64_t{1} << *number;
  }
  return mask;
}

Result<void> parse_process_into(const Json& object, ProcessSpec& process) {
  constexpr std::string_view where = "process";
  if (!object.is_object()) return unexpected(Error("process: expected an object", EINVAL));
  process.terminal = BERTH_TRY(field_or<bool>(object, "terminal", where, process.terminal));
  if (auto* size = BERTH_TRY(optional_object(object, "consoleSize", where))) {
    process.console_height = BERTH_TRY(field_or<unsigned>(*size, "height", "process.consoleSize", 0));
    process.console_width = BERTH_TRY(field_or<unsigned>(*size, "width", "process.consoleSize", 0));
  }
  if (auto* user = BERTH_TRY(optional_object(object, "user", where))) {
    process.user.uid = BERTH_TRY(field_or<uid_t>(*user, "uid", "process.user", 0));
    process.user.gid = BERTH_TRY(field_or<gid_t>(*user, "gid", "process.user", 0));
    process.user.additional_gids =
        BERTH_TRY(field_or<std::vector<gid_t>>(*user, "additionalGids", "process.user", {}));
    auto umask = BERTH_TRY(optional_field<mode_t>(*user, "umask", "process.user"));
    if (umask) process.user.umask = *umask;
    auto name = BERTH_TRY(optional_field<std::string>(*user, "username", "process.user"));
    if (name && !name->empty()) return unexpected(Error("process.user.username is for Windows only", EINVAL));
  }
  if (auto args = BERTH_TRY(optional_field<std::vector<std::string>>(object, "args", where))) process.args = *args;
  if (object.contains("commandLine"))
    return unexpected(Error("process.commandLine is for Windows only", EINVAL));
  if (auto env = BERTH_TRY(optional_field<std::vector<std::string>>(object, "env", where))) process.env = *env;
  if (auto cwd = BERTH_TRY(optional_field<std::string>(object, "cwd", where))) process.cwd = *cwd;
  if (process.cwd.empty() || process.cwd.front() != '/')
    return unexpected(Error(fmt::format("process.cwd \"{}\" must be an absolute path", process.cwd), EINVAL));
  if (auto* caps = BERTH_TRY(optional_object(object, "capabilities", where))) {
    process.capabilities.bounding = BERTH_TRY(capability_mask(*caps, "bounding"));
    process.capabilities.effective = BERTH_TRY(capability_mask(*caps, "effective"));
    process.capabilities.inheritable = BERTH_TRY(capability_mask(*caps, "inheritable"));
    process.capabilities.permitted = BERTH_TRY(capability_mask(*caps, "permitted"));
    process.capabilities.ambient = BERTH_TRY(capability_mask(*caps, "ambient"));
  }
  if (auto* rlimits = BERTH_TRY(optional_array(object, "rlimits", where))) {
    process.rlimits.clear();
    for (auto& entry : *rlimits) {
      auto type = BERTH_TRY(optional_field<std::string>(entry, "type", "process.rlimits[]"));
      auto resource = type ? rlimit_from_name(*type) : std::nullopt;
      if (!resource)
        return unexpected(Error(fmt::format("process.rlimits: unknown type \"{}\"", type.value_or("")), EINVAL));
      RlimitSpec rlimit;
      rlimit.resource = *resource;
      rlimit.soft = BERTH_TRY(field_or<uint64_t>(entry, "soft", "process.rlimits[]", 0));
      rlimit.hard = BERTH_TRY(field_or<uint64_t>(entry, "hard", "process.rlimits[]", 0));
      if (rlimit.soft > rlimit.hard)
        return unexpected(Error(fmt::format("process.rlimits: {} soft limit above hard limit", *type), EINVAL));
      process.rlimits.push_back(rlimit);
    }
  }
  process.no_new_privileges = BERTH_TRY(field_or<bool>(object, "noNewPrivileges", where, process.no_new_privileges));
  if (auto oom = BERTH_TRY(optional_field<int>(object, "oomScoreAdj", where))) {
    if (*oom < -1000 || *oom > 1000)
      return unexpected(Error(fmt::format("process.oomScoreAdj {} out of range [-1000, 1000]", *oom), EINVAL));
    process.oom_score_adj = *oom;
  }
  for (const char* key : {"apparmorProfile", "selinuxLabel"})
    if (auto value = BERTH_TRY(optional_field<std::string>(object, key, where)); value && !value->empty())
      process.ignored.push_back(key);
  if (auto* scheduler = BERTH_TRY(optional_object(object, "scheduler", where)); scheduler)
    return unexpected(Error("process.scheduler is not supported", EINVAL));
  if (auto* io = BERTH_TRY(optional_object(object, "ioPriority", where)); io)
    return unexpected(Error("process.ioPriority is not supported", EINVAL));
  return {};
}

// --- linux -----------------------------------------------------------------------------------------------------

Result<NamespaceKind> namespace_kind_from_name(std::string_view name) {
  constexpr std::pair<std::string_view, NamespaceKind> kKinds[] = {
      {"pid", NamespaceKind::pid},       {"network", NamespaceKind::network}, {"mount", NamespaceKind::mount},
      {"ipc", NamespaceKind::ipc},       {"uts", NamespaceKind::uts},         {"user", NamespaceKind::user},
      {"cgroup", NamespaceKind::cgroup}, {"time", NamespaceKind::time},
  };
  for (auto& [known, kind] : kKinds)
    if (known == name) return kind;
  return unexpected(Error(fmt::format("linux.namespaces: unknown type \"{}\"", name), EINVAL));
}

Result<unsigned long> parse_propagation(std::string_view name) {
  for (auto& option : kPropagationOptions)
    if (option.name == name) return option.flags;
  return unexpected(Error(fmt::format("linux.rootfsPropagation: unknown value \"{}\"", name), EINVAL));
}

Result<void> parse_resources(const Json& object, ResourcesSpec& resources) {
  constexpr std::string_view where = "linux.resources";
  if (auto* memory = BERTH_TRY(optional_object(object, "memory", where))) {
    resources.memory_limit = BERTH_TRY(optional_field<int64_t>(*memory, "limit", "linux.resources.memory"));
    resources.memory_swap = BERTH_TRY(optional_field<int64_t>(*memory, "swap", "linux.resources.memory"));
    for (auto& [key, value] : memory->items())
      if (key != "limit" && key != "swap" && !value.is_null()) resources.ignored.push_back("memory." + key);
  }
  if (auto* cpu = BERTH_TRY(optional_object(object, "cpu", where))) {
    resources.cpu_quota = BERTH_TRY(optional_field<int64_t>(*cpu, "quota", "linux.resources.cpu"));
    resources.cpu_period = BERTH_TRY(optional_field<uint64_t>(*cpu, "period", "linux.resources.cpu"));
    resources.cpu_shares = BERTH_TRY(optional_field<uint64_t>(*cpu, "shares", "linux.resources.cpu"));
    auto cpus = BERTH_TRY(optional_field<std::string>(*cpu, "cpus", "linux.resources.cpu"));
    if (cpus && !cpus->empty()) resources.cpuset_cpus = *cpus;
    for (auto& [key, value] : cpu->items())
      if (key != "quota" && key != "period" && key != "shares" && key != "cpus" && !value.is_null())
        resources.ignored.push_back("cpu." + key);
  }
  if (auto* pids = BERTH_TRY(optional_object(object, "pids", where)))
    resources.pids_limit = BERTH_TRY(optional_field<int64_t>(*pids, "limit", "linux.resources.pids"));
  if (auto* devices = BERTH_TRY(optional_array(object, "devices", where)))
    for (auto& entry : *devices) {
      DeviceRule rule;
      rule.allow = BERTH_TRY(field_or<bool>(entry, "allow", "linux.resources.devices[]", false));
      auto type = BERTH_TRY(field_or<std::string>(entry, "type", "linux.resources.devices[]", "a"));
      if (type != "a" && type != "c" && type != "b")
        return unexpected(Error(fmt::format("linux.resources.devices[]: bad type \"{}\"", type), EINVAL));
      rule.type = type[0];
      rule.major = BERTH_TRY(field_or<int64_t>(entry, "major", "linux.resources.devices[]", -1));
      rule.minor = BERTH_TRY(field_or<int64_t>(entry, "minor", "linux.resources.devices[]", -1));
      rule.access = BERTH_TRY(field_or<std::string>(entry, "access", "linux.resources.devices[]", "rwm"));
      resources.devices.push_back(rule);
    }
  for (auto& [key, value] : object.items())
    if (key != "memory" && key != "cpu" && key != "pids" && key != "devices" && !value.is_null() &&
        !(value.is_array() && value.empty()) && !(value.is_object() && value.empty()))
      resources.ignored.push_back(key);
  return {};
}

Result<void> parse_devices(const Json& array, std::vector<DeviceSpec>& devices) {
  for (auto& entry : array) {
    DeviceSpec device;
    device.path = BERTH_TRY(field_or<std::string>(entry, "path", "linux.devices[]", ""));
    if (device.path.empty() || device.path.front() != '/')
      return unexpected(Error(fmt::format("linux.devices[]: path \"{}\" must be absolute", device.path), EINVAL));
    auto type = BERTH_TRY(field_or<std::string>(entry, "type", "linux.devices[]", ""));
    if (type != "c" && type != "b" && type != "u" && type != "p")
      return unexpected(Error(fmt::format("linux.devices[] {}: bad type \"{}\"", device.path, type), EINVAL));
    device.type = type == "u" ? 'c' : type[0];
    device.major = BERTH_TRY(field_or<int64_t>(entry, "major", "linux.devices[]", 0));
    device.minor = BERTH_TRY(field_or<int64_t>(entry, "minor", "linux.devices[]", 0));
    device.file_mode = BERTH_TRY(field_or<mode_t>(entry, "fileMode", "linux.devices[]", 0666)) & 07777;
    device.uid = BERTH_TRY(field_or<uid_t>(entry, "uid", "linux.devices[]", 0));
    device.gid = BERTH_TRY(field_or<gid_t>(entry, "gid", "linux.devices[]", 0));
    devices.push_back(device);
  }
  return {};
}

Result<void> parse_linux(const Json& linux_object, RuntimeSpec& spec) {
  constexpr std::string_view where = "linux";
  if (auto* namespaces = BERTH_TRY(optional_array(linux_object, "namespaces", where)))
    for (auto& entry : *namespaces) {
      auto type = BERTH_TRY(optional_field<std::string>(entry, "type", "linux.namespaces[]"));
      if (!type) return unexpected(Error("linux.namespaces[].type is required", EINVAL));
      NamespaceSpec ns;
      ns.kind = BERTH_TRY(namespace_kind_from_name(*type));
      ns.path = BERTH_TRY(field_or<std::string>(entry, "path", "linux.namespaces[]", ""));
      spec.namespaces.push_back(ns);
    }
  BERTH_TRY(validate_namespaces(spec.namespaces));
  for (const char* key : {"uidMappings", "gidMappings"})
    if (auto* mappings = BERTH_TRY(optional_array(linux_object, key, where)); mappings && !mappings->empty())
      return unexpected(Error(fmt::format("linux.{}: user namespaces are not supported", key), EINVAL));
  if (auto* offsets = BERTH_TRY(optional_object(linux_object, "timeOffsets", where)); offsets && !offsets->empty())
    return unexpected(Error("linux.timeOffsets are not supported", EINVAL));
  if (auto* rdt = BERTH_TRY(optional_object(linux_object, "intelRdt", where)); rdt)
    return unexpected(Error("linux.intelRdt is not supported", EINVAL));
  if (auto* devices = BERTH_TRY(optional_array(linux_object, "devices", where)))
    BERTH_TRY(parse_devices(*devices, spec.devices));
  spec.cgroups_path = BERTH_TRY(field_or<std::string>(linux_object, "cgroupsPath", where, ""));
  if (auto* resources = BERTH_TRY(optional_object(linux_object, "resources", where)))
    BERTH_TRY(parse_resources(*resources, spec.resources));
  if (auto* sysctl = BERTH_TRY(optional_object(linux_object, "sysctl", where)))
    for (auto& [key, value] : sysctl->items()) {
      if (!value.is_string())
        return unexpected(Error(fmt::format("linux.sysctl.{}: expected a string", key), EINVAL));
      if (key.empty() || key.find("..") != std::string::npos || key.front() == '.' || key.front() == '/')
        return unexpected(Error(fmt::format("linux.sysctl: invalid key \"{}\"", key), EINVAL));
      spec.sysctls.emplace_back(key, value.get<std::string>());
    }
  if (auto* seccomp = BERTH_TRY(optional_object(linux_object, "seccomp", where)))
    spec.seccomp = BERTH_TRY(parse_seccomp(*seccomp));
  if (auto propagation = BERTH_TRY(optional_field<std::string>(linux_object, "rootfsPropagation", where));
      propagation && !propagation->empty())
    spec.rootfs_propagation = BERTH_TRY(parse_propagation(*propagation));
  spec.masked_paths = BERTH_TRY(field_or<std::vector<std::string>>(linux_object, "maskedPaths", where, {}));
  spec.readonly_paths = BERTH_TRY(field_or<std::vector<std::string>>(linux_object, "readonlyPaths", where, {}));
  if (auto* personality = BERTH_TRY(optional_object(linux_object, "personality", where))) {
    auto domain = BERTH_TRY(field_or<std::string>(*personality, "domain", "linux.personality", ""));
    if (domain == "LINUX")
      spec.personality = PER_LINUX;
    else if (domain == "LINUX32")
      spec.personality = PER_LINUX32;
    else
      return unexpected(Error(fmt::format("linux.personality.domain \"{}\" is not supported", domain), EINVAL));
  }
  return {};
}

Result<void> parse_mounts(const Json& array, const std::string& bundle, std::vector<MountSpec>& mounts) {
  for (auto& entry : array) {
    MountSpec mount;
    mount.destination = BERTH_TRY(field_or<std::string>(entry, "destination", "mounts[]", ""));
    if (mount.destination.empty() || mount.destination.front() != '/')
      return unexpected(
          Error(fmt::format("mounts[]: destination \"{}\" must be an absolute path", mount.destination), EINVAL));
    mount.type = BERTH_TRY(field_or<std::string>(entry, "type", "mounts[]", ""));
    mount.source = BERTH_TRY(field_or<std::string>(entry, "source", "mounts[]", ""));
    auto options = BERTH_TRY(field_or<std::vector<std::string>>(entry, "options", "mounts[]", {}));
    mount.options = BERTH_TRY_CONTEXT(parse_mount_options(options), fmt::format("mount {}", mount.destination));
    if (mount.type == "bind") mount.options.bind = true;
    if (mount.options.bind) {
      if (mount.source.empty())
        return unexpected(Error(fmt::format("mount {}: a bind mount needs a source", mount.destination), EINVAL));
      mount.source = absolute_against(bundle, mount.source);
    } else if (mount.type.empty()) {
      return unexpected(Error(fmt::format("mount {}: type is required", mount.destination), EINVAL));
    }
    if (entry.contains("uidMappings") || entry.contains("gidMappings"))
      return unexpected(Error(fmt::format("mount {}: id-mapped mounts are not supported", mount.destination), EINVAL));
    mounts.push_back(std::move(mount));
  }
  return {};
}

}  // namespace

const char* namespace_name(NamespaceKind kind) {
  switch (kind) {
    case NamespaceKind::pid: return "pid";
    case NamespaceKind::network: return "network";
    case NamespaceKind::mount: return "mount";
    case NamespaceKind::ipc: return "ipc";
    case NamespaceKind::uts: return "uts";
    case NamespaceKind::user: return "user";
    case NamespaceKind::cgroup: return "cgroup";
    case NamespaceKind::time: return "time";
  }
  return "?";
}

int namespace_clone_flag(NamespaceKind kind) {
  switch (kind) {
    case NamespaceKind::pid: return CLONE_NEWPID;
    case NamespaceKind::network: return CLONE_NEWNET;
    case NamespaceKind::mount: return CLONE_NEWNS;
    case NamespaceKind::ipc: return CLONE_NEWIPC;
    case NamespaceKind::uts: return CLONE_NEWUTS;
    case NamespaceKind::user: return CLONE_NEWUSER;
    case NamespaceKind::cgroup: return CLONE_NEWCGROUP;
    case NamespaceKind::time: return CLONE_NEWTIME;
  }
  return 0;
}

Result<MountOptions> parse_mount_options(const std::vector<std::string>& options) {
  MountOptions parsed;
  for (const auto& option : options) {
    if (option == "bind" || option == "rbind") {
      parsed.bind = true;
      parsed.recursive_bind = parsed.recursive_bind || option == "rbind";
      continue;
    }
    if (auto flag = std::find_if(std::begin(kFlagOptions), std::end(kFlagOptions),
                                 [&](const FlagOption& entry) { return entry.name == option; });
        flag != std::end(kFlagOptions)) {
      if (flag->clear) {
        parsed.flags &= ~flag->flag;
        parsed.clear_flags |= flag->flag;
      } else {
        parsed.flags |= flag->flag;
        parsed.clear_flags &= ~flag->flag;
      }
      continue;
    }
    if (auto propagation = std::find_if(std::begin(kPropagationOptions), std::end(kPropagationOptions),
                                        [&](const PropagationOption& entry) { return entry.name == option; });
        propagation != std::end(kPropagationOptions)) {
      parsed.propagation = propagation->flags;
      continue;
    }
    if (auto recursive = std::find_if(std::begin(kRecursiveOptions), std::end(kRecursiveOptions),
                                      [&](const RecursiveOption& entry) { return entry.name == option; });
        recursive != std::end(kRecursiveOptions)) {
      if (recursive->clear) {
        parsed.recursive_clear |= recursive->attribute;
        parsed.recursive_set &= ~recursive->attribute;
      } else {
        parsed.recursive_clear |= recursive->mask;
        parsed.recursive_set = (parsed.recursive_set & ~recursive->mask) | recursive->attribute;
      }
      continue;
    }
    if (option == "idmap" || option == "ridmap" || option == "tmpcopyup" || option == "copyup")
      return unexpected(Error(fmt::format("mount option \"{}\" is not supported", option), EINVAL));
    if (option.empty() || option.rfind("X-", 0) == 0 || option.rfind("x-", 0) == 0) continue;  // userspace-only
    if (!parsed.data.empty()) parsed.data += ',';
    parsed.data += option;
  }
  return parsed;
}

Result<void> validate_namespaces(const std::vector<NamespaceSpec>& namespaces) {
  unsigned seen = 0;
  for (auto& ns : namespaces) {
    unsigned bit = 1u << static_cast<unsigned>(ns.kind);
    if (seen & bit)
      return unexpected(Error(fmt::format("linux.namespaces: \"{}\" is listed twice", namespace_name(ns.kind)), EINVAL));
    seen |= bit;
    if (ns.kind == NamespaceKind::user)
      return unexpected(Error("linux.namespaces: user namespaces are not supported", EINVAL));
    if (!ns.path.empty() && ns.path.front() != '/')
      return unexpected(Error(
          fmt::format("linux.namespaces: {} path \"{}\" must be absolute", namespace_name(ns.kind), ns.path), EINVAL));
  }
  return {};
}

Result<uint32_t> seccomp_action_from_name(std::string_view name, std::optional<uint32_t> errno_ret) {
  // Without errnoRet the spec says EPERM (for SCMP_ACT_ERRNO and SCMP_ACT_TRACE alike).
  uint32_t data = errno_ret.value_or(EPERM) & 0xffff;
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(data);
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(data);
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (name == "SCMP_ACT_NOTIFY")
    return unexpected(Error("seccomp action SCMP_ACT_NOTIFY is not supported", EINVAL));
  return unexpected(Error(fmt::format("unknown seccomp action \"{}\"", name), EINVAL));
}

Result<uint32_t> seccomp_arch_from_name(std::string_view name) {
  for (auto& arch : kSeccompArches)
    if (arch.name == name) return arch.value;
  return unexpected(Error(fmt::format("unknown seccomp architecture \"{}\"", name), EINVAL));
}

Result<int> seccomp_operator_from_name(std::string_view name) {
  for (auto& op : kSeccompOperators)
    if (op.name == name) return static_cast<int>(op.value);
  return unexpected(Error(fmt::format("unknown seccomp operator \"{}\"", name), EINVAL));
}

const NamespaceSpec* RuntimeSpec::find_namespace(NamespaceKind kind) const {
  for (auto& ns : namespaces)
    if (ns.kind == kind) return &ns;
  return nullptr;
}

bool RuntimeSpec::has_new_namespace(NamespaceKind kind) const {
  auto* ns = find_namespace(kind);
  return ns && ns->path.empty();
}

Result<RuntimeSpec> parse_spec(std::string_view json_text, const std::string& bundle) {
  Json document = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return unexpected(Error("config.json is not valid JSON", EINVAL));
  if (!document.is_object()) return unexpected(Error("config.json: expected an object", EINVAL));
  RuntimeSpec spec;
  spec.oci_version = BERTH_TRY(field_or<std::string>(document, "ociVersion", "config", ""));
  if (spec.oci_version.rfind("1.", 0) != 0)
    return unexpected(Error(fmt::format("unsupported ociVersion \"{}\" (want 1.x)", spec.oci_version), EINVAL));
  auto* root = BERTH_TRY(optional_object(document, "root", "config"));
  if (!root) return unexpected(Error("config.json: root is required", EINVAL));
  spec.root_path = absolute_against(bundle, BERTH_TRY(field_or<std::string>(*root, "path", "root", "")));
  if (spec.root_path.empty()) return unexpected(Error("config.json: root.path is required", EINVAL));
  spec.root_readonly = BERTH_TRY(field_or<bool>(*root, "readonly", "root", false));

  auto* process = BERTH_TRY(optional_object(document, "process", "config"));
  if (!process) return unexpected(Error("config.json: process is required to run a container", EINVAL));
  BERTH_TRY(parse_process_into(*process, spec.process));
  if (spec.process.args.empty()) return unexpected(Error("config.json: process.args must not be empty", EINVAL));

  spec.hostname = BERTH_TRY(field_or<std::string>(document, "hostname", "config", ""));
  spec.domainname = BERTH_TRY(field_or<std::string>(document, "domainname", "config", ""));
  if (auto* mounts = BERTH_TRY(optional_array(document, "mounts", "config")))
    BERTH_TRY(parse_mounts(*mounts, bundle, spec.mounts));
  if (auto* hooks = BERTH_TRY(optional_object(document, "hooks", "config")))
    for (auto& [name, list] : hooks->items())
      if (list.is_array() && !list.empty())
        return unexpected(Error(fmt::format("hooks.{}: hooks are not supported", name), EINVAL));
  if (auto* annotations = BERTH_TRY(optional_object(document, "annotations", "config")))
    for (auto& [key, value] : annotations->items())
      if (value.is_string()) spec.annotations[key] = value.get<std::string>();
  if (auto* linux_object = BERTH_TRY(optional_object(document, "linux", "config")))
    BERTH_TRY(parse_linux(*linux_object, spec));

  bool new_uts = spec.find_namespace(NamespaceKind::uts) != nullptr;
  if ((!spec.hostname.empty() || !spec.domainname.empty()) && !new_uts)
    return unexpected(Error("config.json: hostname/domainname need a uts namespace", EINVAL));
  return spec;
}

Result<ProcessSpec> parse_process(std::string_view json_text, const ProcessSpec& defaults) {
  Json document = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return unexpected(Error("process: not valid JSON", EINVAL));
  ProcessSpec process = defaults;
  BERTH_TRY(parse_process_into(document, process));
  if (process.args.empty()) return unexpected(Error("process.args must not be empty", EINVAL));
  return process;
}

}  // namespace berth::runtime
