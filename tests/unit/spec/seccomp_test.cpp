// The default seccomp profile as evaluated for a container, and Docker-format profile conversion.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>

#include "engine/spec/seccomp.h"
#include "engine/spec/spec.h"

namespace seccomp = berth::spec::seccomp;
using seccomp::OciSeccomp;
using seccomp::SyscallRule;

namespace {

std::vector<std::string> with_caps(std::vector<std::string> extra) {
  auto caps = berth::spec::default_capabilities();
  caps.insert(caps.end(), extra.begin(), extra.end());
  return caps;
}

OciSeccomp resolve_default(std::vector<std::string> caps, std::string arch = "amd64", std::string kernel = "6.1.0") {
  auto resolved = seccomp::resolve_for_container(seccomp::default_profile(), {arch, std::move(caps), kernel});
  REQUIRE(resolved);
  REQUIRE(resolved->has_value());
  return **resolved;
}

std::vector<SyscallRule> rules_naming(const OciSeccomp& profile, const std::string& name) {
  std::vector<SyscallRule> rules;
  for (const auto& rule : profile.syscalls)
    if (std::find(rule.names.begin(), rule.names.end(), name) != rule.names.end()) rules.push_back(rule);
  return rules;
}

// Allowed whatever its arguments: an ALLOW rule without argument conditions.
bool allowed_outright(const OciSeccomp& profile, const std::string& name) {
  auto rules = rules_naming(profile, name);
  return std::any_of(rules.begin(), rules.end(),
                     [](const SyscallRule& rule) { return rule.action == "SCMP_ACT_ALLOW" && rule.args.empty(); });
}

}  // namespace

TEST_CASE("default profile: EPERM for anything unlisted, the native arch group only") {
  auto profile = resolve_default(berth::spec::default_capabilities());
  CHECK(profile.default_action == "SCMP_ACT_ERRNO");
  REQUIRE(profile.default_errno_ret);
  CHECK(*profile.default_errno_ret == EPERM);
  CHECK(profile.architectures == std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"});
  auto arm = resolve_default(berth::spec::default_capabilities(), "arm64");
  CHECK(arm.architectures == std::vector<std::string>{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"});
}

TEST_CASE("default profile: the unconditional allow list is Docker's 361 calls") {
  const auto profile = seccomp::default_profile();
  REQUIRE_FALSE(profile.syscalls.empty());
  const auto& first = profile.syscalls.front();
  CHECK_FALSE(first.includes);
  CHECK_FALSE(first.excludes);
  CHECK(first.rule.action == "SCMP_ACT_ALLOW");
  auto names = first.rule.names;
  std::sort(names.begin(), names.end());
  CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());  // no duplicates
  CHECK(names.size() == 361);
  for (const char* absent : {"clone", "clone3", "socket", "personality", "mount", "keyctl", "ptrace"})
    CHECK_FALSE(std::binary_search(names.begin(), names.end(), absent));
}

TEST_CASE("default caps: mount, unshare, setns, keyctl, pivot_root, reboot and friends are not allowed") {
  auto profile = resolve_default(berth::spec::default_capabilities());
  for (const char* name : {"mount", "umount2", "unshare", "setns", "keyctl", "add_key", "request_key", "pivot_root",
                           "reboot", "open_tree", "move_mount", "fsopen", "bpf", "perf_event_open", "init_module",
                           "io_uring_setup", "userfaultfd", "kexec_load", "swapon"}) {
    INFO(name);
    CHECK(rules_naming(profile, name).empty());
  }
  // Everyday calls are there.
  for (const char* name : {"read", "openat", "execve", "futex", "epoll_wait", "chroot", "arch_prctl", "modify_ldt",
                           "ptrace", "process_vm_readv"}) {
    INFO(name);
    CHECK(allowed_outright(profile, name));
  }
}

TEST_CASE("CAP_SYS_ADMIN unlocks the mount and namespace calls and plain clone/clone3") {
  auto profile = resolve_default(with_caps({"CAP_SYS_ADMIN"}));
  for (const char* name : {"mount", "umount2", "unshare", "setns", "clone", "clone3", "sethostname", "fsopen"}) {
    INFO(name);
    CHECK(allowed_outright(profile, name));
  }
  // Docker's profile gates these on other things than CAP_SYS_ADMIN: still not allowed.
  for (const char* name : {"keyctl", "pivot_root", "reboot"}) {
    INFO(name);
    CHECK(rules_naming(profile, name).empty());
  }
  // The clone rules for capability-less containers are gone.
  for (const auto& rule : rules_naming(profile, "clone")) CHECK(rule.args.empty());
  for (const auto& rule : rules_naming(profile, "clone3")) CHECK(rule.action == "SCMP_ACT_ALLOW");
}

TEST_CASE("without CAP_SYS_ADMIN clone is allowed only without namespace flags, and clone3 gets ENOSYS") {
  auto profile = resolve_default(berth::spec::default_capabilities());
  auto clone = rules_naming(profile, "clone");
  REQUIRE(clone.size() == 1);
  CHECK(clone[0].action == "SCMP_ACT_ALLOW");
  REQUIRE(clone[0].args.size() == 1);
  CHECK(clone[0].args[0] == seccomp::ArgCondition{0, 0x7E020000, 0, "SCMP_CMP_MASKED_EQ"});
  auto clone3 = rules_naming(profile, "clone3");
  REQUIRE(clone3.size() == 1);
  CHECK(clone3[0].action == "SCMP_ACT_ERRNO");
  REQUIRE(clone3[0].errno_ret);
  CHECK(*clone3[0].errno_ret == ENOSYS);
}

TEST_CASE("on s390x the clone flags are the second argument") {
  auto profile = resolve_default(berth::spec::default_capabilities(), "s390x");
  auto clone = rules_naming(profile, "clone");
  REQUIRE(clone.size() == 1);
  CHECK(clone[0].args[0].index == 1);
  CHECK(rules_naming(profile, "arch_prctl").empty());
  CHECK(allowed_outright(profile, "s390_runtime_instr"));
}

TEST_CASE("socket is allowed for every family but AF_ALG (38) and AF_VSOCK (40)") {
  auto profile = resolve_default(berth::spec::default_capabilities());
  auto rules = rules_naming(profile, "socket");
  REQUIRE(rules.size() == 3);
  auto allows_family = [&](uint64_t family) {
    return std::any_of(rules.begin(), rules.end(), [&](const SyscallRule& rule) {
      const auto& arg = rule.args.at(0);
      if (arg.index != 0) return false;
      if (arg.op == "SCMP_CMP_LT") return family < arg.value;
      if (arg.op == "SCMP_CMP_EQ") return family == arg.value;
      if (arg.op == "SCMP_CMP_GT") return family > arg.value;
      return false;
    });
  };
  for (uint64_t family : {1, 2, 10, 16, 17, 37, 39, 41, 44}) {
    INFO(family);
    CHECK(allows_family(family));
  }
  CHECK_FALSE(allows_family(40));  // AF_VSOCK
  CHECK_FALSE(allows_family(38));  // AF_ALG
}

TEST_CASE("personality only for the five harmless values") {
  auto profile = resolve_default(berth::spec::default_capabilities());
  std::vector<uint64_t> values;
  for (const auto& rule : rules_naming(profile, "personality")) {
    REQUIRE(rule.args.size() == 1);
    CHECK(rule.args[0].op == "SCMP_CMP_EQ");
    values.push_back(rule.args[0].value);
  }
  CHECK(values == std::vector<uint64_t>{0x0, 0x8, 0x20000, 0x20008, 0xffffffff});
}

TEST_CASE("single-capability rules follow the bounding set") {
  auto base = resolve_default(berth::spec::default_capabilities());
  CHECK(allowed_outright(base, "chroot"));  // CAP_SYS_CHROOT is a default
  CHECK(rules_naming(base, "settimeofday").empty());
  auto timed = resolve_default(with_caps({"CAP_SYS_TIME", "CAP_SYS_BOOT", "CAP_SYS_PTRACE"}));
  CHECK(allowed_outright(timed, "settimeofday"));
  CHECK(allowed_outright(timed, "clock_settime"));
  CHECK(allowed_outright(timed, "reboot"));
  CHECK(allowed_outright(timed, "kcmp"));
  auto no_chroot = resolve_default({"CAP_CHOWN"});
  CHECK(rules_naming(no_chroot, "chroot").empty());
}

TEST_CASE("minKernel: ptrace is unconditional from 4.8 on, and an unknown kernel counts as current") {
  auto old_kernel = resolve_default(berth::spec::default_capabilities(), "amd64", "4.4.0-generic");
  CHECK(rules_naming(old_kernel, "ptrace").empty());
  auto new_kernel = resolve_default(berth::spec::default_capabilities(), "amd64", "4.8.0");
  CHECK(allowed_outright(new_kernel, "ptrace"));
  auto unknown = resolve_default(berth::spec::default_capabilities(), "amd64", "");
  CHECK(allowed_outright(unknown, "ptrace"));
  auto garbage = seccomp::resolve_for_container(seccomp::default_profile(), {"amd64", {}, "not-a-version"});
  CHECK_FALSE(garbage);
}

TEST_CASE("parse_kernel_version reads the first two numbers") {
  CHECK(seccomp::parse_kernel_version("6.18.44-fc-v782") == seccomp::KernelVersion{6, 18});
  CHECK(seccomp::parse_kernel_version("5.10") == seccomp::KernelVersion{5, 10});
  CHECK_FALSE(seccomp::parse_kernel_version("6"));
  CHECK_FALSE(seccomp::parse_kernel_version("v6.1"));
}

TEST_CASE("rule_applies: excludes beat includes; every included cap is required") {
  seccomp::ConditionalRule rule;
  rule.rule = {{"x"}, "SCMP_ACT_ALLOW", std::nullopt, {}};
  rule.includes = seccomp::Condition{{"CAP_A", "CAP_B"}, {"amd64"}, std::nullopt};
  CHECK(seccomp::rule_applies(rule, {"amd64", {"CAP_A", "CAP_B"}, ""}));
  CHECK_FALSE(seccomp::rule_applies(rule, {"amd64", {"CAP_A"}, ""}));
  CHECK_FALSE(seccomp::rule_applies(rule, {"arm64", {"CAP_A", "CAP_B"}, ""}));
  rule.excludes = seccomp::Condition{{"CAP_C"}, {}, std::nullopt};
  CHECK_FALSE(seccomp::rule_applies(rule, {"amd64", {"CAP_A", "CAP_B", "CAP_C"}, ""}));
}

TEST_CASE("a Docker-format profile converts, with includes/excludes evaluated") {
  const char* json = R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": 38,
    "archMap": [
      {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
      {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}
    ],
    "flags": ["SECCOMP_FILTER_FLAG_LOG"],
    "unknownField": {"ignored": true},
    "syscalls": [
      {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "comment": "always"},
      {"name": "mount", "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "excludes": {"caps": ["CAP_KILL"]}},
      {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64"]}},
      {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "99.0"}},
      {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 4294967295, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]}
    ]
  })";
  auto parsed = seccomp::parse_docker_profile(json);
  REQUIRE(parsed);
  auto resolved = seccomp::resolve_for_container(*parsed, {"amd64", {"CAP_KILL"}, "6.1"});
  REQUIRE(resolved);
  REQUIRE(resolved->has_value());
  const OciSeccomp& profile = **resolved;
  CHECK(profile.default_errno_ret == std::optional<uint32_t>(38));
  CHECK(profile.architectures == std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"});
  CHECK(profile.flags == std::vector<std::string>{"SECCOMP_FILTER_FLAG_LOG"});
  std::vector<std::string> kept;
  for (const auto& rule : profile.syscalls) kept.push_back(rule.names.front());
  CHECK(kept == std::vector<std::string>{"read", "arch_prctl", "personality"});
  CHECK(profile.syscalls.back().args.at(0).value == 0xffffffffULL);

  auto admin = seccomp::resolve_for_container(*parsed, {"arm64", {"CAP_SYS_ADMIN"}, "6.1"});
  REQUIRE(admin);
  kept.clear();
  for (const auto& rule : (*admin)->syscalls) kept.push_back(rule.names.front());
  CHECK(kept == std::vector<std::string>{"read", "mount", "kill", "personality"});
  CHECK((*admin)->architectures == std::vector<std::string>{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"});
}

TEST_CASE("an explicit architectures list passes through; a profile with nothing disables seccomp") {
  auto parsed = seccomp::parse_docker_profile(
      R"({"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"syscalls":[]})");
  REQUIRE(parsed);
  auto resolved = seccomp::resolve_for_container(*parsed, {"amd64", {}, ""});
  REQUIRE(resolved);
  REQUIRE(resolved->has_value());
  CHECK((*resolved)->architectures == std::vector<std::string>{"SCMP_ARCH_X86_64"});
  auto empty = seccomp::parse_docker_profile("{}");
  REQUIRE(empty);
  auto none = seccomp::resolve_for_container(*empty, {"amd64", {}, ""});
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
}

TEST_CASE("malformed or contradictory profiles give clear errors") {
  auto broken = seccomp::parse_docker_profile(R"({"defaultAction": "SCMP_ACT_ERRNO", )");
  REQUIRE_FALSE(broken);
  CHECK(broken.error().message().rfind("decoding seccomp profile failed: ", 0) == 0);

  auto not_object = seccomp::parse_docker_profile("[1,2]");
  REQUIRE_FALSE(not_object);

  auto wrong_type = seccomp::parse_docker_profile(R"({"syscalls":[{"names":"read","action":"SCMP_ACT_ALLOW"}]})");
  REQUIRE_FALSE(wrong_type);
  CHECK(wrong_type.error().message() == "seccomp profile: syscalls[0].names: expected an array of strings");

  auto both_names = seccomp::parse_docker_profile(
      R"({"syscalls":[{"name":"read","names":["write"],"action":"SCMP_ACT_ALLOW"}]})");
  REQUIRE_FALSE(both_names);
  CHECK(both_names.error().message().find("both 'name' and 'names'") != std::string::npos);

  auto bad_kernel = seccomp::parse_docker_profile(
      R"({"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"4.8.1"}}]})");
  REQUIRE_FALSE(bad_kernel);
  CHECK(bad_kernel.error().message().find("minKernel") != std::string::npos);

  auto both_arches = seccomp::parse_docker_profile(
      R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],
          "archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":[]}]})");
  REQUIRE(both_arches);
  auto conflict = seccomp::resolve_for_container(*both_arches, {"amd64", {}, ""});
  REQUIRE_FALSE(conflict);
  CHECK(conflict.error().message().find("both 'architectures' and 'archMap'") != std::string::npos);

  auto bad_action = seccomp::parse_docker_profile(
      R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_MAYBE"}]})");
  REQUIRE(bad_action);
  auto rejected = seccomp::resolve_for_container(*bad_action, {"amd64", {}, ""});
  REQUIRE_FALSE(rejected);
  CHECK(rejected.error().message() == "seccomp profile: syscalls[0]: unknown action \"SCMP_ACT_MAYBE\"");

  auto bad_op = seccomp::parse_docker_profile(
      R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW",
          "args":[{"index":0,"value":1,"op":"SCMP_CMP_ABOUT"}]}]})");
  REQUIRE(bad_op);
  CHECK_FALSE(seccomp::resolve_for_container(*bad_op, {"amd64", {}, ""}));
}
