// Capability sets, as Docker's caps.TweakCapabilities computes them.
#include <algorithm>
#include <cctype>

#include "engine/spec/spec.h"

namespace berth::spec {
namespace {

constexpr std::string_view kAll = "ALL";

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// "net_admin" -> "CAP_NET_ADMIN"; "all" -> "ALL". Error for a name berth does not know.
Result<std::vector<std::string>> normalize(const std::vector<std::string>& names) {
  std::vector<std::string> normalized;
  for (const auto& name : names) {
    std::string upper;
    for (char c : name) upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    if (upper == kAll) {
      normalized.push_back(upper);
      continue;
    }
    if (upper.rfind("CAP_", 0) != 0) upper = "CAP_" + upper;
    if (!contains(all_capabilities(), upper)) return unexpected(Error("unknown capability: \"" + upper + "\""));
    if (!contains(normalized, upper)) normalized.push_back(upper);
  }
  return normalized;
}

}  // namespace

const std::vector<std::string>& default_capabilities() {
  // moby daemon/pkg/oci/caps/defaults.go, in its order.
  static const std::vector<std::string> kDefaults = {
      "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",           "CAP_MKNOD",
      "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID", "CAP_SETFCAP",          "CAP_SETPCAP",
      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
  };
  return kDefaults;
}

const std::vector<std::string>& all_capabilities() {
  // Index = capability number (linux/capability.h), up to CAP_CHECKPOINT_RESTORE (40, Linux 5.9). Docker asks the
  // running kernel; a fixed list keeps the builder pure, and every kernel berth supports has all of these.
  static const std::vector<std::string> kAllCapabilities = {
      "CAP_CHOWN",          "CAP_DAC_OVERRIDE",  "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
      "CAP_FSETID",         "CAP_KILL",          "CAP_SETGID",          "CAP_SETUID",
      "CAP_SETPCAP",        "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
      "CAP_NET_ADMIN",      "CAP_NET_RAW",       "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
      "CAP_SYS_MODULE",     "CAP_SYS_RAWIO",     "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
      "CAP_SYS_PACCT",      "CAP_SYS_ADMIN",     "CAP_SYS_BOOT",        "CAP_SYS_NICE",
      "CAP_SYS_RESOURCE",   "CAP_SYS_TIME",      "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
      "CAP_LEASE",          "CAP_AUDIT_WRITE",   "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
      "CAP_MAC_OVERRIDE",   "CAP_MAC_ADMIN",     "CAP_SYSLOG",          "CAP_WAKE_ALARM",
      "CAP_BLOCK_SUSPEND",  "CAP_AUDIT_READ",    "CAP_PERFMON",         "CAP_BPF",
      "CAP_CHECKPOINT_RESTORE",
  };
  return kAllCapabilities;
}

Result<std::vector<std::string>> effective_capabilities(const std::vector<std::string>& cap_add,
                                                        const std::vector<std::string>& cap_drop, bool privileged) {
  if (privileged) return all_capabilities();
  // Names are checked even when they change nothing, so a typo fails loudly.
  auto adds = BERTH_TRY_CONTEXT(normalize(cap_add), "--cap-add");
  auto drops = BERTH_TRY_CONTEXT(normalize(cap_drop), "--cap-drop");

  std::vector<std::string> result;
  if (contains(adds, kAll)) {
    // Everything except what is explicitly dropped.
    for (const auto& capability : all_capabilities())
      if (!contains(drops, capability)) result.push_back(capability);
  } else if (contains(drops, kAll)) {
    // Start from nothing: only what is added.
    result = adds;
  } else {
    for (const auto& capability : default_capabilities())
      if (!contains(drops, capability)) result.push_back(capability);
    for (const auto& capability : adds)
      if (!contains(result, capability)) result.push_back(capability);
  }
  return result;
}

}  // namespace berth::spec
