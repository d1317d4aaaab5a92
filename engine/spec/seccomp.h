// Seccomp profiles as plain data: Docker's profile format (conditional rules with includes/excludes on
// capabilities, architecture and kernel version), the default profile berth applies (Docker's, in effect), and
// the filtering that turns a profile into the OCI `linux.seccomp` section for one container. Pure: no syscalls.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace berth::spec::seccomp {

// One argument comparison, OCI names: op is "SCMP_CMP_EQ", "SCMP_CMP_MASKED_EQ", ...
struct ArgCondition {
  uint32_t index = 0;
  uint64_t value = 0;
  uint64_t value_two = 0;
  std::string op;
  bool operator==(const ArgCondition&) const = default;
};

// One rule as the OCI runtime sees it.
struct SyscallRule {
  std::vector<std::string> names;
  std::string action;                // "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", ...
  std::optional<uint32_t> errno_ret;  // only meaningful for SCMP_ACT_ERRNO / SCMP_ACT_TRACE
  std::vector<ArgCondition> args;
  bool operator==(const SyscallRule&) const = default;
};

struct KernelVersion {
  uint32_t major = 0;  // the "6" of 6.1.0
  uint32_t minor = 0;  // the "1" of 6.1.0
  bool operator==(const KernelVersion&) const = default;
};

// When a rule applies. Arches use Docker's (libseccomp's native) names: "amd64", "x86", "x32", "arm64", "arm",
// "s390x", ...; caps are "CAP_SYS_ADMIN"-style names checked against the container's bounding set.
struct Condition {
  std::vector<std::string> caps;
  std::vector<std::string> arches;
  std::optional<KernelVersion> min_kernel;
  bool operator==(const Condition&) const = default;
};

// A rule of a Docker-format profile: included when every `includes` condition holds and no `excludes` one does.
struct ConditionalRule {
  SyscallRule rule;
  std::optional<Condition> includes;
  std::optional<Condition> excludes;
  std::string comment;
};

// "SCMP_ARCH_X86_64" with its sub-architectures ("SCMP_ARCH_X86", "SCMP_ARCH_X32").
struct ArchitectureGroup {
  std::string architecture;
  std::vector<std::string> sub_architectures;
};

// A Docker-format profile (the `--security-opt seccomp=FILE` format, moby/profiles seccomp.Seccomp).
struct DockerProfile {
  std::string default_action;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;   // explicit OCI list; exclusive with arch_map
  std::vector<ArchitectureGroup> arch_map;  // only the group of the native arch is emitted
  std::vector<std::string> flags;           // "SECCOMP_FILTER_FLAG_LOG", ...
  std::string listener_path, listener_metadata;
  std::vector<ConditionalRule> syscalls;
};

// The OCI `linux.seccomp` section for one container.
struct OciSeccomp {
  std::string default_action;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;
  std::vector<std::string> flags;
  std::string listener_path, listener_metadata;
  std::vector<SyscallRule> syscalls;
};

// What the conditional rules are evaluated against.
struct FilterContext {
  std::string arch;                               // Docker/libseccomp native name; "" = the arch berth was built for
  std::vector<std::string> bounding_capabilities;  // "CAP_CHOWN", ...
  std::string kernel_release;                     // uname -r, e.g. "6.1.0-18-amd64"; "" = a current kernel
};

// Docker's native name for the arch this binary runs on ("amd64", "arm64", ...).
std::string native_arch();

// Docker's default profile (moby/profiles seccomp/default_linux.go, in effect): EPERM for anything unlisted,
// an unconditional allow list, and capability/arch/kernel-gated rules. Defined in seccomp_default.cpp.
DockerProfile default_profile();

// Parses a Docker-format profile (JSON text). Errors name what is wrong ("seccomp profile: syscalls[3]: ...").
Result<DockerProfile> parse_docker_profile(std::string_view json_text);

// Evaluates the conditional rules for one container, as moby's setupSeccomp does. nullopt when the profile
// disables seccomp (no default action and no rules). Errors for contradictory profiles (architectures and
// archMap both given, a rule with both name and names, unknown actions or operators).
Result<std::optional<OciSeccomp>> resolve_for_container(const DockerProfile& profile, const FilterContext& context);

// Whether `rule` applies in `context` (the includes/excludes logic alone), exposed for tests.
bool rule_applies(const ConditionalRule& rule, const FilterContext& context);

// "6.1.0-18-amd64" -> {6, 1}; nullopt when it does not start with two numbers.
std::optional<KernelVersion> parse_kernel_version(std::string_view release);

}  // namespace berth::spec::seccomp
