// The network namespace choice and the sysctls that depend on it (moby daemon/oci_linux.go WithNamespaces,
// WithCommonOptions, WithSysctls; docker/cli opts ValidateSysctl).
#include <algorithm>
#include <array>

#include "core/text.h"
#include "engine/spec/parts.h"

namespace berth::spec::detail {
namespace {

// Sysctls that are namespaced, hence safe to set per container: Docker's CLI list.
bool sysctl_allowed(std::string_view key) {
  static constexpr std::array<std::string_view, 8> kIpcKeys = {
      "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
      "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
  if (std::find(kIpcKeys.begin(), kIpcKeys.end(), key) != kIpcKeys.end()) return true;
  return text::starts_with(key, "net.") || text::starts_with(key, "fs.mqueue.");
}

}  // namespace

Result<NetworkSetup> parse_network_mode(std::string_view mode, std::string_view private_namespace_path) {
  NetworkSetup setup;
  if (mode == "none" || mode.empty()) {
    setup.own_namespace = true;  // loopback only, still a namespace of its own
  } else if (mode == "private") {
    setup.own_namespace = true;
    setup.namespace_path = std::string(private_namespace_path);
  } else if (mode == "host") {
    setup.host = true;
  } else if (text::starts_with(mode, "ns:")) {
    setup.namespace_path = std::string(mode.substr(3));
    if (setup.namespace_path.empty() || setup.namespace_path.front() != '/')
      return unexpected(Error("network mode \"" + std::string(mode) + "\": the namespace path must be absolute"));
  } else {
    return unexpected(Error("unknown network mode \"" + std::string(mode) + "\""));
  }
  return setup;
}

Result<std::map<std::string, std::string>> assemble_sysctls(const RunOptions& options, const NetworkSetup& network) {
  std::map<std::string, std::string> sysctls;
  if (network.own_namespace) {
    // Docker grants these whenever it creates the netns: ping without CAP_NET_RAW and binding ports below 1024
    // without CAP_NET_BIND_SERVICE. Both are namespaced, so they affect only this container.
    sysctls["net.ipv4.ping_group_range"] = "0 2147483647";
    sysctls["net.ipv4.ip_unprivileged_port_start"] = "0";
  }
  for (const auto& entry : options.sysctls) {
    auto equals = entry.find('=');
    std::string key(text::trim(std::string_view(entry).substr(0, equals)));
    if (equals == std::string::npos || key.empty() || !sysctl_allowed(key))
      return unexpected(Error("sysctl '" + entry + "' is not allowed"));
    if (network.host && text::starts_with(key, "net."))
      return unexpected(Error("sysctl '" + key + "' is not allowed in the host network namespace"));
    sysctls[key] = entry.substr(equals + 1);  // --sysctl wins over the defaults, as Docker
  }
  return sysctls;
}

}  // namespace berth::spec::detail
