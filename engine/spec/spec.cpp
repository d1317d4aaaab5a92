// build_runtime_spec: assembles config.json from the image config, the run options and what the engine found out,
// in the order of moby's createSpec (daemon/oci_linux.go). The decisions live in the helpers of this directory;
// this file validates the inputs and writes JSON.
#include <algorithm>
#include <cctype>
#include <limits>

#include <nlohmann/json.hpp>

#include "core/text.h"
#include "engine/spec/parts.h"
#include "engine/spec/seccomp.h"
#include "engine/spec/spec.h"

namespace berth::spec {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kOciVersion = "1.2.0";
constexpr std::string_view kInitPath = "/sbin/berth-init";
constexpr int64_t kMinimumMemoryBytes = 6 * 1024 * 1024;  // Docker's floor: below it the container cannot start
constexpr int64_t kCpuPeriodMicroseconds = 100000;         // Docker's --cpus period (100 ms)
constexpr int64_t kNanoCpusPerCpu = 1000000000;

// Only the fields that are set, so config.json stays as small as Docker's.
Result<Json> memory_json(const RunOptions& options) {
  Json memory = Json::object();
  const int64_t limit = options.memory_bytes.value_or(0);
  const int64_t swap = options.memory_swap_bytes.value_or(0);
  if (limit < 0) return unexpected(Error("invalid memory limit " + std::to_string(limit)));
  if (limit > 0 && limit < kMinimumMemoryBytes) return unexpected(Error("Minimum memory limit allowed is 6MB"));
  if (swap > 0 && limit == 0)
    return unexpected(Error("You should always set the Memory limit when using Memoryswap limit, see usage"));
  if (swap > 0 && swap < limit)
    return unexpected(Error("Minimum memoryswap limit should be larger than memory limit, see usage"));
  if (swap < -1) return unexpected(Error("invalid memory swap limit " + std::to_string(swap)));
  if (limit > 0) {
    memory["limit"] = limit;
    // Docker's default: as much swap as memory (memory+swap = twice the limit). -1 means unlimited swap.
    memory["swap"] = swap != 0 ? swap : limit * 2;
  } else if (swap == -1) {
    memory["swap"] = -1;
  }
  return memory;
}

Result<Json> cpu_json(const RunOptions& options, const SpecInputs& inputs) {
  Json cpu = Json::object();
  const int64_t shares = options.cpu_shares.value_or(0);
  if (shares < 0) return unexpected(Error("invalid CPU shares " + std::to_string(shares)));
  if (shares > 0) cpu["shares"] = static_cast<uint64_t>(shares);
  const int64_t nano_cpus = options.nano_cpus.value_or(0);
  const int cpus = std::max(inputs.cpu_count, 1);
  if (nano_cpus < 0 || nano_cpus > static_cast<int64_t>(cpus) * kNanoCpusPerCpu)
    return unexpected(Error("Range of CPUs is from 0.01 to " + std::to_string(cpus) + ".00, as there are only " +
                            std::to_string(cpus) + " CPUs available"));
  if (nano_cpus > 0) {
    // --cpus 1.5 -> quota 150000 per period 100000: the CFS bandwidth of one and a half CPUs.
    cpu["quota"] = nano_cpus * kCpuPeriodMicroseconds / kNanoCpusPerCpu;
    cpu["period"] = static_cast<uint64_t>(kCpuPeriodMicroseconds);
  }
  return cpu;
}

Json device_rule(bool allow, const char* type, int64_t major, int64_t minor, const char* access) {
  Json rule;
  rule["allow"] = allow;
  if (type) rule["type"] = type;
  if (major != -2) rule["major"] = major;  // -2: leave out; -1 is "*"
  if (minor != -2) rule["minor"] = minor;
  rule["access"] = access;
  return rule;
}

// The device cgroup: Docker's list (deny everything, then the default nodes, deny fuse), followed by what runc
// always appends (mknod of anything, the default nodes again, /dev/pts/*, /dev/ptmx, /dev/full), so the rules
// here are what is in effect under Docker + runc, whichever runtime reads them.
Json device_allowlist(bool privileged) {
  Json devices = Json::array();
  if (privileged) {
    devices.push_back(device_rule(true, nullptr, -2, -2, "rwm"));
    return devices;
  }
  devices.push_back(device_rule(false, nullptr, -2, -2, "rwm"));
  devices.push_back(device_rule(true, "c", 1, 5, "rwm"));   // /dev/zero
  devices.push_back(device_rule(true, "c", 1, 3, "rwm"));   // /dev/null
  devices.push_back(device_rule(true, "c", 1, 9, "rwm"));   // /dev/urandom
  devices.push_back(device_rule(true, "c", 1, 8, "rwm"));   // /dev/random
  devices.push_back(device_rule(true, "c", 5, 0, "rwm"));   // /dev/tty
  devices.push_back(device_rule(true, "c", 5, 1, "rwm"));   // /dev/console
  devices.push_back(device_rule(false, "c", 10, 229, "rwm"));  // /dev/fuse: no FUSE mounts in a container
  devices.push_back(device_rule(true, "c", -1, -1, "m"));   // mknod of any node (using it stays denied)
  devices.push_back(device_rule(true, "b", -1, -1, "m"));
  devices.push_back(device_rule(true, "c", 1, 7, "rwm"));   // /dev/full
  devices.push_back(device_rule(true, "c", 136, -1, "rwm"));  // /dev/pts/*
  devices.push_back(device_rule(true, "c", 5, 2, "rwm"));   // /dev/ptmx
  return devices;
}

Result<Json> resources_json(const RunOptions& options, const SpecInputs& inputs) {
  Json resources;
  resources["devices"] = device_allowlist(options.privileged);
  Json memory = BERTH_TRY(memory_json(options));
  if (!memory.empty()) resources["memory"] = memory;
  Json cpu = BERTH_TRY(cpu_json(options, inputs));
  if (!cpu.empty()) resources["cpu"] = cpu;
  if (options.pids_limit) {
    // 0 or less means unlimited for Docker; OCI spells unlimited -1 (0 would be a real limit of zero).
    resources["pids"] = Json{{"limit", *options.pids_limit > 0 ? *options.pids_limit : -1}};
  }
  return resources;
}

Json mount_json(const Mount& mount) {
  Json json;
  json["destination"] = mount.destination;
  json["type"] = mount.type;
  json["source"] = mount.source;
  json["options"] = mount.options;
  return json;
}

Json seccomp_json(const seccomp::OciSeccomp& profile) {
  Json json;
  json["defaultAction"] = profile.default_action;
  if (profile.default_errno_ret) json["defaultErrnoRet"] = *profile.default_errno_ret;
  json["architectures"] = profile.architectures;
  if (!profile.flags.empty()) json["flags"] = profile.flags;
  if (!profile.listener_path.empty()) json["listenerPath"] = profile.listener_path;
  if (!profile.listener_metadata.empty()) json["listenerMetadata"] = profile.listener_metadata;
  Json syscalls = Json::array();
  for (const auto& rule : profile.syscalls) {
    Json entry;
    entry["names"] = rule.names;
    entry["action"] = rule.action;
    if (rule.errno_ret) entry["errnoRet"] = *rule.errno_ret;
    if (!rule.args.empty()) {
      Json args = Json::array();
      for (const auto& arg : rule.args)
        args.push_back(Json{{"index", arg.index}, {"value", arg.value}, {"valueTwo", arg.value_two}, {"op", arg.op}});
      entry["args"] = args;
    }
    syscalls.push_back(entry);
  }
  json["syscalls"] = syscalls;
  return json;
}

// Docker: --security-opt seccomp=unconfined turns it off; --privileged gets none unless a profile is given.
Result<std::optional<seccomp::OciSeccomp>> container_seccomp(const RunOptions& options, const SpecInputs& inputs,
                                                             const std::vector<std::string>& bounding) {
  const std::string& choice = options.seccomp;
  if (choice == "unconfined") return std::optional<seccomp::OciSeccomp>();
  const bool use_default = choice.empty() || choice == "default" || choice == "builtin";
  if (use_default && options.privileged) return std::optional<seccomp::OciSeccomp>();
  seccomp::DockerProfile profile =
      use_default ? seccomp::default_profile() : BERTH_TRY(seccomp::parse_docker_profile(choice));
  seccomp::FilterContext context{inputs.arch, bounding, inputs.kernel_release};
  return seccomp::resolve_for_container(profile, context);
}

// Working directory: --workdir, else the image's WORKDIR, else "/". Must be absolute, as Docker checks.
Result<std::string> working_directory(const image::ImageConfig& image, const RunOptions& options) {
  std::string cwd = !options.working_dir.empty() ? options.working_dir : image.working_dir;
  if (cwd.empty()) return std::string("/");
  if (cwd.front() != '/')
    return unexpected(Error("the working directory '" + cwd + "' is invalid, it needs to be an absolute path"));
  return cwd;
}

// RFC 1123 labels, at most 64 characters in all (the kernel's limit for sethostname).
Result<void> validate_hostname(const std::string& hostname) {
  if (hostname.size() > 64) return unexpected(Error("invalid hostname format: " + hostname + " (longer than 64)"));
  for (const auto& label : text::split(hostname, '.')) {
    bool valid = !label.empty() && label.front() != '-' && label.back() != '-' &&
                 std::all_of(label.begin(), label.end(),
                             [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; });
    if (!valid) return unexpected(Error("invalid hostname format: " + hostname));
  }
  return {};
}

uint64_t rlimit_value(int64_t value) {
  return value == -1 ? std::numeric_limits<uint64_t>::max() : static_cast<uint64_t>(value);  // RLIM_INFINITY
}

std::string upper(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

Result<std::vector<std::string>> resolve_process_args(const image::ImageConfig& image, const RunOptions& options) {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd = options.command;
  if (options.entrypoint) {
    // --entrypoint replaces the image's and drops the image's CMD: only the command given on the line remains.
    entrypoint = *options.entrypoint;
  } else {
    entrypoint = image.entrypoint.value_or(std::vector<std::string>{});
    if (cmd.empty()) cmd = image.cmd.value_or(std::vector<std::string>{});
  }
  if (entrypoint.size() == 1 && entrypoint.front().empty()) entrypoint.clear();  // [""] means "no entrypoint"
  std::vector<std::string> args = entrypoint;
  args.insert(args.end(), cmd.begin(), cmd.end());
  if (args.empty() || args.front().empty()) return unexpected(Error("no command specified"));
  if (options.init) args.insert(args.begin(), {std::string(kInitPath), "--"});
  return args;
}

Result<std::string> build_runtime_spec(const image::ImageConfig& image, const RunOptions& options,
                                       const ResolvedUser& user, const SpecInputs& inputs) {
  if (inputs.rootfs.empty() || inputs.rootfs.front() != '/')
    return unexpected(Error("building the runtime spec: rootfs \"" + inputs.rootfs + "\" must be an absolute path"));
  const std::string hostname = !options.hostname.empty() ? options.hostname : text::short_id(inputs.container_id);
  if (!hostname.empty()) BERTH_TRY(validate_hostname(hostname));

  const auto args = BERTH_TRY(resolve_process_args(image, options));
  const auto cwd = BERTH_TRY(working_directory(image, options));
  const auto capabilities = BERTH_TRY(effective_capabilities(options.cap_add, options.cap_drop, options.privileged));
  const auto network = BERTH_TRY(detail::parse_network_mode(options.network_mode, inputs.network_namespace_path));
  const auto mounts = BERTH_TRY(detail::assemble_mounts(options, inputs));
  const auto sysctls = BERTH_TRY(detail::assemble_sysctls(options, network));
  const auto resources = BERTH_TRY(resources_json(options, inputs));
  const auto seccomp_profile = BERTH_TRY(container_seccomp(options, inputs, capabilities));

  Json spec;
  spec["ociVersion"] = kOciVersion;

  Json process;
  process["terminal"] = options.tty;
  if (options.tty && (options.console_height > 0 || options.console_width > 0))
    process["consoleSize"] = Json{{"height", options.console_height}, {"width", options.console_width}};
  process["user"] = Json{{"uid", user.uid}, {"gid", user.gid}, {"additionalGids", user.additional_gids}};
  process["args"] = args;
  process["env"] = merge_env(image.env, options.env, hostname, options.tty, user.home);
  process["cwd"] = cwd;
  // A non-root process keeps only the bounding set: execve would clear its effective and permitted sets anyway,
  // and Docker leaves them empty for non-root users. Inheritable and ambient stay empty (CVE-2022-24769).
  const std::vector<std::string> no_capabilities;
  const auto& process_capabilities = user.uid == 0 ? capabilities : no_capabilities;
  process["capabilities"] = Json{{"bounding", capabilities},
                                 {"effective", process_capabilities},
                                 {"inheritable", no_capabilities},
                                 {"permitted", process_capabilities},
                                 {"ambient", no_capabilities}};
  Json rlimits = Json::array();
  for (const auto& limit : detail::effective_ulimits(options, inputs.nofile_hard_limit))
    rlimits.push_back(Json{{"type", "RLIMIT_" + upper(limit.name)},
                           {"hard", rlimit_value(limit.hard)},
                           {"soft", rlimit_value(limit.soft)}});
  process["rlimits"] = rlimits;
  process["noNewPrivileges"] = options.no_new_privileges;
  process["oomScoreAdj"] = 0;
  spec["process"] = process;

  spec["root"] = Json{{"path", inputs.rootfs}, {"readonly", options.read_only}};
  if (!hostname.empty()) spec["hostname"] = hostname;
  if (!options.domainname.empty()) spec["domainname"] = options.domainname;

  Json mounts_json = Json::array();
  for (const auto& mount : mounts) mounts_json.push_back(mount_json(mount));
  spec["mounts"] = mounts_json;

  Json linux_section;
  Json namespaces = Json::array();
  namespaces.push_back(Json{{"type", "mount"}});
  if (!network.host) {
    Json network_namespace{{"type", "network"}};
    if (!network.namespace_path.empty()) network_namespace["path"] = network.namespace_path;
    namespaces.push_back(network_namespace);
  }
  namespaces.push_back(Json{{"type", "uts"}});
  namespaces.push_back(Json{{"type", "pid"}});
  namespaces.push_back(Json{{"type", "ipc"}});
  // A cgroup namespace always: the container sees its own cgroup as the root. (Docker does so on cgroup v2 and
  // uses the host's on v1; one behaviour on both keeps /proc/self/cgroup from leaking host paths.)
  namespaces.push_back(Json{{"type", "cgroup"}});
  linux_section["namespaces"] = namespaces;
  if (!inputs.devices.empty()) {
    Json devices = Json::array();
    for (const auto& device : inputs.devices)
      devices.push_back(Json{{"path", device.path},
                             {"type", std::string(1, device.type)},
                             {"major", device.major},
                             {"minor", device.minor},
                             {"fileMode", device.file_mode},
                             {"uid", device.uid},
                             {"gid", device.gid}});
    linux_section["devices"] = devices;
  }
  linux_section["resources"] = resources;
  if (!inputs.cgroups_path.empty()) linux_section["cgroupsPath"] = inputs.cgroups_path;
  if (!sysctls.empty()) linux_section["sysctl"] = sysctls;
  if (seccomp_profile) linux_section["seccomp"] = seccomp_json(*seccomp_profile);
  // Volumes that propagate mounts need a rootfs that does too (Docker sets shared / rslave the same way).
  auto any_bind_with = [&](std::initializer_list<std::string_view> modes) {
    return std::any_of(mounts.begin(), mounts.end(), [&](const Mount& mount) {
      return std::any_of(modes.begin(), modes.end(), [&](std::string_view mode) {
        return std::find(mount.options.begin(), mount.options.end(), mode) != mount.options.end();
      });
    });
  };
  if (any_bind_with({"shared", "rshared"}))
    linux_section["rootfsPropagation"] = "shared";
  else if (any_bind_with({"slave", "rslave"}))
    linux_section["rootfsPropagation"] = "slave";
  linux_section["maskedPaths"] = detail::masked_paths(options, inputs);
  linux_section["readonlyPaths"] = detail::readonly_paths(options);
  spec["linux"] = linux_section;

  if (!inputs.annotations.empty()) spec["annotations"] = inputs.annotations;
  return spec.dump(2);
}

}  // namespace berth::spec
